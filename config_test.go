package main

import (
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gqlchat/gqlchat/chat"
	"github.com/gqlchat/gqlchat/events"
	"github.com/gqlchat/gqlchat/httpapi"
)

func TestUsage_ListsEveryVariableWithItsDefault(t *testing.T) {
	for _, f := range reflect.VisibleFields(reflect.TypeFor[config]()) {
		if f.IsExported() && (f.Tag.Get("env") == "" || f.Tag.Get("help") == "") {
			t.Errorf("config.%s has no env or help tag: --help would not list it", f.Name)
		}
	}
	var b strings.Builder
	usage(&b)
	lines := map[string]string{}
	for _, line := range strings.Split(b.String(), "\n") {
		if name, _, ok := strings.Cut(strings.TrimSpace(line), " "); ok && strings.HasPrefix(line, "  ") {
			lines[name] = line
		}
	}
	vars := configVars()
	for _, v := range vars {
		line, ok := lines[v.name]
		if !ok {
			t.Errorf("--help does not list %s", v.name)
		} else if v.def != "" && !strings.HasSuffix(line, "(default "+v.def+")") {
			t.Errorf("--help on %s: %q, want its default %s", v.name, line, v.def)
		}
	}
	if len(lines) != len(vars) || len(vars) < 30 {
		t.Errorf("--help lists %d variables, config has %d:\n%s", len(lines), len(vars), b.String())
	}
}

// The defaults written in config's tags are the packages' own.
func TestParseConfig_DefaultsAreThoseOfThePackages(t *testing.T) {
	c, err := parseConfig(map[string]string{})
	if err != nil {
		t.Fatal(err)
	}
	if got := c.apiOptions(); !reflect.DeepEqual(got, httpapi.DefaultOptions) {
		t.Errorf("API options:\n got %+v\nwant %+v", got, httpapi.DefaultOptions)
	}
	if got := c.chatConfig(); !reflect.DeepEqual(got, chat.DefaultConfig) {
		t.Errorf("chat config:\n got %+v\nwant %+v", got, chat.DefaultConfig)
	}
	if !c.localDatabase || c.Port != 8080 || c.EventBus != "postgres" || c.NATSURL != events.DefaultNATSURL || c.NATSStream != events.DefaultStream || c.ReadTimeout != 30*time.Second {
		t.Errorf("server settings: %+v", c)
	}
}

func TestParseConfig_ListsDevAndRateLimits(t *testing.T) {
	c, err := parseConfig(map[string]string{
		"ALLOWED_ORIGINS": " app.example.com, ,localhost:3000 ", "API_HOSTS": "chat.example.com", "DEV": "true",
		"RATE_LIMITS": "postMessage=1/s:2", "LOGIN_KNOWN_ADDRESS_TTL": "1h", "DATABASE_URL": "postgres://db/chat",
	})
	if err != nil {
		t.Fatal(err)
	}
	o := c.apiOptions()
	if want := []string{"app.example.com", "localhost:3000", "localhost:*", "127.0.0.1:*"}; !slices.Equal(o.OriginPatterns, want) {
		t.Errorf("origins %q, want %q", o.OriginPatterns, want)
	}
	if !slices.Equal(o.APIHosts, []string{"chat.example.com"}) {
		t.Errorf("API hosts %q", o.APIHosts)
	}
	if l := o.RateLimits; l.PerUser["postMessage"] != (httpapi.RateLimit{Rate: 1, Burst: 2}) || l.PerIP["logIn"] != httpapi.DefaultRateLimits.PerIP["logIn"] || l.KnownAddressFor != time.Hour {
		t.Errorf("rate limits %+v", l)
	}
	if c.localDatabase {
		t.Error("a database given by DATABASE_URL would be created")
	}
}

func TestParseConfig_TakesTheNATSBus(t *testing.T) {
	c, err := parseConfig(map[string]string{"EVENT_BUS": "nats", "NATS_URL": "nats://a:4222,nats://b:4222", "NATS_STREAM": "chat-staging"})
	if err != nil || c.EventBus != "nats" || c.NATSURL != "nats://a:4222,nats://b:4222" || c.NATSStream != "chat-staging" {
		t.Fatalf("%+v %v", c, err)
	}
}

func TestParseConfig_TakesThePresenceTimings(t *testing.T) {
	c, err := parseConfig(map[string]string{"PRESENCE_HEARTBEAT": "100ms", "PRESENCE_EXPIRY": "1s", "PRESENCE_SWEEP": "20ms", "PRESENCE_DEBOUNCE": "50ms"})
	want := chat.PresenceTimings{Heartbeat: 100 * time.Millisecond, Expiry: time.Second, Sweep: 20 * time.Millisecond, Debounce: 50 * time.Millisecond}
	if err != nil || c.chatConfig().Presence != want {
		t.Fatalf("%+v %v", c.chatConfig().Presence, err)
	}
	// An expiry within a heartbeat would expire live instances.
	for _, expiry := range []string{"100ms", "50ms"} {
		_, err = parseConfig(map[string]string{"PRESENCE_HEARTBEAT": "100ms", "PRESENCE_EXPIRY": expiry})
		if err == nil || err.Error() != "PRESENCE_EXPIRY must be longer than PRESENCE_HEARTBEAT" {
			t.Errorf("expiry %s: %v", expiry, err)
		}
	}
	_, err = parseConfig(map[string]string{"PRESENCE_SWEEP": "0s", "PRESENCE_EXPIRY": "-1s"})
	if err == nil || err.Error() != "PRESENCE_EXPIRY must be a positive duration such as 45s\nPRESENCE_SWEEP must be a positive duration such as 5s" {
		t.Errorf("non-positive timings: %v", err)
	}
}

func TestParseConfig_RefusesBadValuesNamingEachVariable(t *testing.T) {
	_, err := parseConfig(map[string]string{
		"PORT": "0", "DB_MAX_CONNS": "many", "MAX_BODY_BYTES": "-1", "TOKEN_TTL": "forever", "WS_KEEPALIVE": "-1s",
		"DEV": "maybe", "EVENT_BUS": "kafka", "NATS_STREAM": "chat.staging", "LOG_LEVEL": "loud", "RATE_LIMITS": "postMessage=fast",
	})
	if err == nil {
		t.Fatal("bad values accepted")
	}
	for _, want := range []string{
		"PORT must be a positive number",
		"DB_MAX_CONNS must be a positive number",
		"MAX_BODY_BYTES must be a positive number",
		"TOKEN_TTL must be a positive duration such as 720h",
		"WS_KEEPALIVE must be a positive duration such as 15s",
		"DEV must be true or false",
		"EVENT_BUS must be postgres, nats or memory",
		"NATS_STREAM must be 1 to 64 letters, digits, - and _",
		"LOG_LEVEL: ",
		`RATE_LIMITS: rate limit "postMessage=fast": want field=rate/unit:burst`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("no %q in:\n%v", want, err)
		}
	}
	if n := strings.Count(err.Error(), "\n") + 1; n != 10 {
		t.Errorf("%d refusals, want one per variable:\n%v", n, err)
	}
}
