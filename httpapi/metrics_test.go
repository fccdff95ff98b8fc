package httpapi_test

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gqlchat/gqlchat/internal/apitest"
	"github.com/gqlchat/gqlchat/metrics"
)

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(body)
}

func TestMetrics_CountOperationsErrorsAndConnections(t *testing.T) {
	t.Parallel()
	s := apitest.NewServer(t)
	u := s.SignUp(t, "metric")
	s.MustDo(t, u.Token, `query Me { viewer { id } }`, nil, nil)
	s.MustFail(t, "bad-token", "UNAUTHENTICATED", `query Me { viewer { id } }`, nil)
	ws := s.Connect(t, u)
	ws.Subscribe("r", subReceived, nil)
	s.WaitSubscribed(t, u, 1)
	// The gauge counts a subscription once its resolver has returned, a
	// moment after it is on the bus.
	status, body := get(t, s.URL+"/metrics")
	for deadline := time.Now().Add(5 * time.Second); !strings.Contains(body, "active_subscriptions 1") && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
		status, body = get(t, s.URL+"/metrics")
	}
	for _, want := range []string{
		`gqlchat_graphql_requests_total{operation="Me",type="query"}`,
		`gqlchat_graphql_errors_total{code="UNAUTHENTICATED",operation="Me",type="query"} 1`,
		`gqlchat_websocket_connections 1`,
		`gqlchat_graphql_active_subscriptions 1`,
		`go_sql_open_connections`,
	} {
		if status != http.StatusOK || !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}

func TestReadyz_AnswersWhenTheDatabaseIsMigrated(t *testing.T) {
	t.Parallel()
	s := apitest.NewServer(t)
	if status, body := get(t, s.URL+"/readyz"); status != http.StatusOK {
		t.Fatalf("ready: %d %s", status, body)
	}
	if err := s.DB.Exec(`DELETE FROM schema_migrations WHERE version = (SELECT max(version) FROM schema_migrations)`).Error; err != nil {
		t.Fatal(err)
	}
	if status, body := get(t, s.URL+"/readyz"); status != http.StatusServiceUnavailable || !strings.Contains(body, "migrations") {
		t.Fatalf("with a migration missing: %d %s", status, body)
	}
}

// Operation names are chosen by clients: a flood of new ones, even from an
// anonymous caller, must not add a series each.
func TestMetrics_AFloodOfOperationNamesAddsABoundedNumberOfSeries(t *testing.T) {
	t.Parallel()
	s := apitest.NewServer(t)
	flood := metrics.MaxOperationNames + 100
	for i := range flood {
		s.MustDo(t, "", fmt.Sprintf(`query Probe_%d { viewer { id } }`, i), nil, nil)
	}
	_, body := get(t, s.URL+"/metrics")
	series := strings.Count(body, "\ngqlchat_graphql_requests_total{")
	if series > metrics.MaxOperationNames+1 { // the names admitted, and "other"
		t.Errorf("%d operation names made %d series; at most %d expected", flood, series, metrics.MaxOperationNames+1)
	}
	if want := `gqlchat_graphql_requests_total{operation="other",type="query"} 100`; !strings.Contains(body, want) {
		t.Errorf("/metrics lacks %s", want)
	}
	if want := `gqlchat_graphql_requests_total{operation="Probe_0",type="query"} 1`; !strings.Contains(body, want) {
		t.Errorf("/metrics lacks %s", want)
	}
}
