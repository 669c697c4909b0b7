package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Client sends GraphQL operations to one Pointguard endpoint with one token.
type Client struct {
	URL, Token string
	HTTP       *http.Client
	// Requests counts the HTTP requests sent, retries included.
	Requests int
	// wait is how long to let the cost budget refill before the next request.
	wait time.Duration
}

// response is a GraphQL response; extensions.cost is Pointguard's account
// of the token's budget of query cost.
type response struct {
	Data   json.RawMessage
	Errors []struct {
		Message    string
		Extensions struct{ Code string }
	}
	Extensions struct {
		Cost struct {
			RequestedQueryCost int
			ThrottleStatus     struct {
				CurrentlyAvailable int
				RestoreRate        float64
			}
		}
	}
}

// Do runs one operation with its variables (never pasted into the query
// text) and decodes its data into data. A response with errors is an
// error: a partial graph would look like a complete one. 429 (the budget is
// spent) and 503 (the server is overloaded or timed out) are retried after
// their Retry-After, five times at most.
func (c *Client) Do(ctx context.Context, operation, query string, variables map[string]any, data any) error {
	body, err := json.Marshal(map[string]any{"query": query, "operationName": operation, "variables": variables})
	if err != nil {
		return err
	}
	for attempt := 1; ; attempt++ {
		if err := sleep(ctx, c.wait); err != nil {
			return err
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.URL, bytes.NewReader(body))
		if err != nil {
			return err
		}
		req.Header.Set("Authorization", "Bearer "+c.Token)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/graphql-response+json")
		res, err := c.HTTP.Do(req)
		if err != nil {
			return err
		}
		c.Requests++
		var r response
		decodeErr := json.NewDecoder(res.Body).Decode(&r)
		res.Body.Close()
		retryAfter, _ := strconv.Atoi(res.Header.Get("Retry-After"))
		if (res.StatusCode == http.StatusTooManyRequests || res.StatusCode == http.StatusServiceUnavailable) && attempt < 5 {
			c.wait = time.Duration(max(retryAfter, 1)) * time.Second
			continue
		}
		// Pace the next request so that the budget can pay for one like
		// this (the next page costs about what this one did) rather than be
		// refused with 429.
		c.wait = 0
		if cost := r.Extensions.Cost; cost.ThrottleStatus.RestoreRate > 0 && cost.ThrottleStatus.CurrentlyAvailable < cost.RequestedQueryCost {
			missing := float64(cost.RequestedQueryCost - cost.ThrottleStatus.CurrentlyAvailable)
			c.wait = time.Duration(missing / cost.ThrottleStatus.RestoreRate * float64(time.Second))
		}
		if len(r.Errors) > 0 {
			msgs := make([]string, len(r.Errors))
			for i, e := range r.Errors {
				msgs[i] = e.Extensions.Code + ": " + e.Message
			}
			return fmt.Errorf("%s: HTTP %d: %s", operation, res.StatusCode, strings.Join(msgs, "; "))
		}
		if res.StatusCode != http.StatusOK || decodeErr != nil {
			return fmt.Errorf("%s: HTTP %d (%v)", operation, res.StatusCode, decodeErr)
		}
		return json.Unmarshal(r.Data, data)
	}
}

func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
