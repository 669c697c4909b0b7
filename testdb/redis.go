package testdb

import (
	"context"
	"net"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// DefaultRedisURL is used when TEST_REDIS_URL is unset.
const DefaultRedisURL = "redis://127.0.0.1:6379/0"

var (
	redisOnce sync.Once
	redisURL  string
	redisErr  error
)

// Redis returns the URL of the test Redis and a key prefix of the test's
// own, so that tests running at once share nothing; every key containing
// the prefix is deleted when the test ends. With no Redis answering, the
// test is skipped with the reason, except under CI=true, where it fails.
func Redis(t testing.TB) (url, prefix string) {
	t.Helper()
	redisOnce.Do(connectRedis)
	if redisErr != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("Redis is required under CI=true: %v", redisErr)
		}
		t.Skipf("no Redis (set TEST_REDIS_URL; default %s): %v", DefaultRedisURL, redisErr)
	}
	prefix = "pointguard-test-" + randomHex(8) + ":"
	t.Cleanup(func() {
		if n, err := DeleteRedisKeys(redisURL, prefix); err != nil {
			t.Errorf("delete the test's Redis keys (%s*): %v", prefix, err)
		} else if testing.Verbose() {
			t.Logf("deleted %d Redis keys containing %s", n, prefix)
		}
	})
	return redisURL, prefix
}

// RedisKeys lists the keys containing prefix.
func RedisKeys(url, prefix string) ([]string, error) {
	client, err := redisClient(url)
	if err != nil {
		return nil, err
	}
	defer client.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var keys []string
	iter := client.Scan(ctx, 0, "*"+prefix+"*", 1000).Iterator()
	for iter.Next(ctx) {
		keys = append(keys, iter.Val())
	}
	return keys, iter.Err()
}

// DeleteRedisKeys deletes the keys containing prefix and says how many.
func DeleteRedisKeys(url, prefix string) (int, error) {
	keys, err := RedisKeys(url, prefix)
	if err != nil || len(keys) == 0 {
		return 0, err
	}
	client, err := redisClient(url)
	if err != nil {
		return 0, err
	}
	defer client.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return len(keys), client.Del(ctx, keys...).Err()
}

func redisClient(url string) (*redis.Client, error) {
	opt, err := redis.ParseURL(url)
	if err != nil {
		return nil, err
	}
	return redis.NewClient(opt), nil
}

func connectRedis() {
	redisURL = os.Getenv("TEST_REDIS_URL")
	if redisURL == "" {
		redisURL = DefaultRedisURL
	}
	client, err := redisClient(redisURL)
	if err != nil {
		redisErr = err
		return
	}
	defer client.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	redisErr = client.Ping(ctx).Err()
}

// SilentRedis is the address of a server that accepts connections, holds
// them open and never answers, as a hung Redis does; it stops with the
// test.
func SilentRedis(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var held []net.Conn
	var mu sync.Mutex
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range held {
			c.Close()
		}
	})
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			held = append(held, c) // says nothing
			mu.Unlock()
		}
	}()
	return ln.Addr().String()
}
