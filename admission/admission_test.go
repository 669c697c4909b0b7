package admission

import (
	"context"
	"testing"
	"time"
)

func TestAdmit(t *testing.T) {
	g := New(Config{Capacity: 10, Light: 2, MaxQueue: 1, Wait: 50 * time.Millisecond})
	ctx := context.Background()

	six, err := g.admit(ctx, 6)
	if err != nil || g.InFlight() != 6 {
		t.Fatalf("6 of 10: %v, in flight %d", err, g.InFlight())
	}
	if _, err := g.admit(ctx, 6); err == nil {
		t.Fatal("12 of 10 admitted")
	}
	light, err := g.admit(ctx, 2)
	if err != nil {
		t.Fatalf("a light operation was refused: %v", err)
	}
	light()

	// A waiter gets in when room is made within Wait.
	got := make(chan error, 1)
	go func() {
		release, err := g.admit(ctx, 6)
		if err == nil {
			release()
		}
		got <- err
	}()
	for g.queued.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	// The queue holds one: a second waiter is refused at once.
	if _, err := g.admit(ctx, 6); err == nil {
		t.Error("admitted past a full queue")
	}
	six()
	six() // a second release gives nothing back
	if err := <-got; err != nil {
		t.Errorf("the waiter was refused after room was made: %v", err)
	}
	if g.InFlight() != 0 {
		t.Errorf("in flight %d after every release", g.InFlight())
	}

	// The costliest operation runs, alone.
	huge, err := g.admit(ctx, 1_000)
	if err != nil || g.InFlight() != 10 {
		t.Fatalf("an operation over capacity: %v, in flight %d", err, g.InFlight())
	}
	if _, err := g.admit(ctx, 3); err == nil {
		t.Error("admitted beside a full-capacity operation")
	}
	huge()
}

// TestNoCapacityAdmitsEverything: a capacity of 0 turns the gate off.
func TestNoCapacityAdmitsEverything(t *testing.T) {
	g := New(Config{})
	for i := 0; i < 3; i++ {
		if _, err := g.admit(context.Background(), 1_000_000); err != nil {
			t.Fatal(err)
		}
	}
}

func TestValidate(t *testing.T) {
	if err := Default().Validate(); err != nil {
		t.Error(err)
	}
	for _, bad := range []Config{{Capacity: -1}, {Capacity: 1, Light: -1}, {Capacity: 1, Wait: -time.Second}, {Capacity: 1, MaxQueue: -1}} {
		if bad.Validate() == nil {
			t.Errorf("%+v accepted", bad)
		}
	}
}
