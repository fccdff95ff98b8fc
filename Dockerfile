# The API in a small image: a static binary on distroless, as a non-root user.
# `make build` runs the same build command, so CI exercises it.
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/gqlchat .

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/gqlchat /gqlchat
USER nonroot:nonroot
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s CMD ["/gqlchat", "-healthcheck"]
ENTRYPOINT ["/gqlchat"]
