package httpapi

import (
	"fmt"
	"maps"
	"strconv"
	"strings"
)

// ParseRateLimits applies an operator's changes to base. spec is "off", or
// a comma-separated list of field=rate/unit:burst, for example
// "postMessage=20/s:40,signUp=5/m:5,other=10/s:30"; unit is s, m or h.
// signUp and logIn are limited per client address, "logInAccount" is the
// limit of failed log-ins per account, "other" is the bucket of the
// mutations not listed, and every other name per user.
func ParseRateLimits(spec string, base RateLimits) (RateLimits, error) {
	spec = strings.TrimSpace(spec)
	if spec == "off" {
		return RateLimits{}, nil
	}
	out := base
	out.PerIP, out.PerUser = maps.Clone(base.PerIP), maps.Clone(base.PerUser)
	if out.PerIP == nil {
		out.PerIP = map[string]RateLimit{}
	}
	if out.PerUser == nil {
		out.PerUser = map[string]RateLimit{}
	}
	for _, item := range strings.Split(spec, ",") {
		if item = strings.TrimSpace(item); item == "" {
			continue
		}
		name, limit, err := parseRateLimit(item)
		if err != nil {
			return RateLimits{}, err
		}
		switch name {
		case "signUp", "logIn":
			out.PerIP[name] = limit
		case "other":
			out.Other = limit
		case "logInAccount":
			out.LogInPerAccount = limit
		default:
			out.PerUser[name] = limit
		}
	}
	return out, nil
}

func parseRateLimit(item string) (string, RateLimit, error) {
	bad := fmt.Errorf("rate limit %q: want field=rate/unit:burst, such as postMessage=20/s:40", item)
	name, rest, ok1 := strings.Cut(item, "=")
	rateSpec, burstSpec, ok2 := strings.Cut(rest, ":")
	count, unit, ok3 := strings.Cut(rateSpec, "/")
	if !ok1 || !ok2 || !ok3 || name == "" {
		return "", RateLimit{}, bad
	}
	n, err1 := strconv.ParseFloat(count, 64)
	burst, err2 := strconv.Atoi(burstSpec)
	per := map[string]float64{"s": 1, "m": 60, "h": 3600}[unit]
	if err1 != nil || err2 != nil || per == 0 || n < 0 || burst < 0 {
		return "", RateLimit{}, bad
	}
	return name, RateLimit{Rate: n / per, Burst: burst}, nil
}
