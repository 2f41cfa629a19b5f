package ops

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/rs/zerolog"
)

func TestPprofOnlyWhenAsked(t *testing.T) {
	for _, on := range []bool{false, true} {
		srv := httptest.NewServer(NewServer(Config{Pprof: on}, zerolog.Nop()).Handler())
		for path, want := range map[string]int{"/metrics": http.StatusOK, "/debug/pprof/heap": http.StatusNotFound} {
			if on && path == "/debug/pprof/heap" {
				want = http.StatusOK
			}
			resp, err := http.Get(srv.URL + path)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != want {
				t.Errorf("pprof %v: GET %s = %d, want %d", on, path, resp.StatusCode, want)
			}
		}
		srv.Close()
	}
}
