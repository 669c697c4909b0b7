package main

import (
	"io"
	"strings"
	"testing"
)

// TestParseConfigWebhookLoopback: POINTGUARD_WEBHOOK_ALLOW_LOOPBACK is
// true, false or unset (false); anything else stops the start, naming it.
func TestParseConfigWebhookLoopback(t *testing.T) {
	env := func(v string) func(string) string {
		return func(k string) string { return map[string]string{"POINTGUARD_WEBHOOK_ALLOW_LOOPBACK": v}[k] }
	}
	for v, want := range map[string]bool{"": false, "false": false, "true": true} {
		if cfg, err := parseConfig(nil, env(v), io.Discard); err != nil || cfg.webhookLoopback != want {
			t.Errorf("POINTGUARD_WEBHOOK_ALLOW_LOOPBACK %q: %v, %v, want %v", v, err, cfg.webhookLoopback, want)
		}
	}
	for _, v := range []string{"yes", "1", "TRUE "} {
		if _, err := parseConfig(nil, env(v), io.Discard); err == nil || !strings.Contains(err.Error(), "POINTGUARD_WEBHOOK_ALLOW_LOOPBACK") {
			t.Errorf("POINTGUARD_WEBHOOK_ALLOW_LOOPBACK %q: error %v, want one naming it", v, err)
		}
	}
}
