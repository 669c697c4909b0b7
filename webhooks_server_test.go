package main

import (
	"io"
	"strings"
	"testing"
	"time"
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

// TestParseConfigWebhookRescueAfter: POINTGUARD_WEBHOOK_RESCUE_AFTER is a
// duration of at least a delivery attempt's timeout (queue.JobTimeout);
// unset, the queue's default (1m). Anything else stops the start, naming it.
func TestParseConfigWebhookRescueAfter(t *testing.T) {
	env := func(v string) func(string) string {
		return func(k string) string { return map[string]string{"POINTGUARD_WEBHOOK_RESCUE_AFTER": v}[k] }
	}
	for v, want := range map[string]time.Duration{"": 0, "15s": 15 * time.Second, "2m": 2 * time.Minute} {
		if cfg, err := parseConfig(nil, env(v), io.Discard); err != nil || cfg.webhookRescueAfter != want {
			t.Errorf("POINTGUARD_WEBHOOK_RESCUE_AFTER %q: %v, %v, want %v", v, err, cfg.webhookRescueAfter, want)
		}
	}
	for _, v := range []string{"14s", "1", "soon", "-1m"} {
		if _, err := parseConfig(nil, env(v), io.Discard); err == nil || !strings.Contains(err.Error(), "POINTGUARD_WEBHOOK_RESCUE_AFTER") {
			t.Errorf("POINTGUARD_WEBHOOK_RESCUE_AFTER %q: error %v, want one naming it", v, err)
		}
	}
}

// TestParseConfigEventRetention: POINTGUARD_EVENT_RETENTION is days (7d)
// or a duration (36h) of at least 24 hours; unset, the queue's default
// (7 days). Anything else stops the start, naming it.
func TestParseConfigEventRetention(t *testing.T) {
	env := func(v string) func(string) string {
		return func(k string) string { return map[string]string{"POINTGUARD_EVENT_RETENTION": v}[k] }
	}
	for v, want := range map[string]time.Duration{"": 0, "7d": 7 * 24 * time.Hour, "1d": 24 * time.Hour, "36h": 36 * time.Hour} {
		if cfg, err := parseConfig(nil, env(v), io.Discard); err != nil || cfg.eventRetention != want {
			t.Errorf("POINTGUARD_EVENT_RETENTION %q: %v, %v, want %v", v, err, cfg.eventRetention, want)
		}
	}
	for _, v := range []string{"23h", "0d", "week", "-7d", "7"} {
		if _, err := parseConfig(nil, env(v), io.Discard); err == nil || !strings.Contains(err.Error(), "POINTGUARD_EVENT_RETENTION") {
			t.Errorf("POINTGUARD_EVENT_RETENTION %q: error %v, want one naming it", v, err)
		}
	}
}
