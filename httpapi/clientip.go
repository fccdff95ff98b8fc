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
// peer's, or with trustForwardedFor the last address of X-Forwarded-For.
// The proxy in front appends the address it saw to whatever the client
// sent, so only the last entry is the proxy's word; the ones before it
// are the client's to choose. One that is not an address is ignored.
func withClientIP(trustForwardedFor bool, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		addr := r.RemoteAddr
		if host, _, err := net.SplitHostPort(addr); err == nil {
			addr = host
		}
		if trustForwardedFor {
			if fwd := r.Header.Values("X-Forwarded-For"); len(fwd) > 0 {
				entries := strings.Split(fwd[len(fwd)-1], ",")
				if last := strings.TrimSpace(entries[len(entries)-1]); isIP(last) {
					addr = last
				}
			}
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), clientIPKey{}, clientID(addr))))
	})
}

func isIP(s string) bool {
	_, err := netip.ParseAddr(s)
	return err == nil
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
