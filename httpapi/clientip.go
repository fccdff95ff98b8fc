package httpapi

import (
	"context"
	"net"
	"net/http"
	"net/netip"
	"strings"
)

type clientIPKey struct{}

// clientIP returns the address of the client of the request ctx belongs
// to, as put there by withClientIP, or "". Rate limits and the cap on
// anonymous WebSockets count by it.
func clientIP(ctx context.Context) string {
	ip, _ := ctx.Value(clientIPKey{}).(string)
	return ip
}

// withClientIP puts the client's address in the request context: the
// peer's, or with trustForwardedFor the first of X-Forwarded-For, which
// only a proxy that overwrites the header makes trustworthy.
func withClientIP(trustForwardedFor bool, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		addr := r.RemoteAddr
		if host, _, err := net.SplitHostPort(addr); err == nil {
			addr = host
		}
		if fwd := r.Header.Get("X-Forwarded-For"); trustForwardedFor && fwd != "" {
			first, _, _ := strings.Cut(fwd, ",")
			addr = strings.TrimSpace(first)
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), clientIPKey{}, clientID(addr))))
	})
}

// clientID normalizes an address; an IPv6 client is its /64, the block a
// single subscriber is usually given, so it cannot dodge limits by
// changing addresses within it.
func clientID(addr string) string {
	ip, err := netip.ParseAddr(addr)
	if err != nil {
		return addr
	}
	ip = ip.Unmap().WithZone("")
	if ip.Is6() {
		return netip.PrefixFrom(ip, 64).Masked().String()
	}
	return ip.String()
}
