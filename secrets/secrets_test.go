package secrets

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestSealOpen(t *testing.T) {
	a, b := NewKey(), NewKey()
	ring, err := NewKeyring(a)
	if err != nil {
		t.Fatal(err)
	}
	s, err := ring.Seal([]byte("token-123"), []byte("int_1"))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(s.Ciphertext, []byte("token-123")) || s.KeyID != KeyID(a) {
		t.Fatalf("sealed value: %+v", s)
	}
	if got, err := ring.Open(s, []byte("int_1")); err != nil || string(got) != "token-123" {
		t.Fatalf("Open = %q, %v", got, err)
	}
	if _, err := ring.Open(s, []byte("int_2")); err == nil {
		t.Error("a value opened under another row's associated data")
	}
	tampered := s
	tampered.Ciphertext = append([]byte{}, s.Ciphertext...)
	tampered.Ciphertext[0] ^= 1
	if _, err := ring.Open(tampered, []byte("int_1")); err == nil {
		t.Error("a tampered ciphertext opened")
	}

	rotated, _ := NewKeyring(b, a)
	if got, err := rotated.Open(s, []byte("int_1")); err != nil || string(got) != "token-123" {
		t.Errorf("an old key must still open: %q, %v", got, err)
	}
	if s2, _ := rotated.Seal([]byte("x"), nil); s2.KeyID != KeyID(b) {
		t.Errorf("the current key must seal")
	}
	onlyB, _ := NewKeyring(b)
	if _, err := onlyB.Open(s, []byte("int_1")); !errors.Is(err, ErrUnknownKey) {
		t.Errorf("Open without the sealing key = %v, want ErrUnknownKey", err)
	}
}

func TestParseKey(t *testing.T) {
	key := NewKey()
	for _, s := range []string{EncodeKey(key), " " + EncodeKey(key) + "\n"} {
		if got, err := ParseKey(s); err != nil || !bytes.Equal(got, key) {
			t.Errorf("ParseKey(%q) = %v, %v", s, got, err)
		}
	}
	for _, bad := range []string{"", "short", EncodeKey(key[:16])} {
		if _, err := ParseKey(bad); err == nil {
			t.Errorf("ParseKey(%q) accepted", bad)
		}
	}
	if _, err := NewKeyring(key[:16]); err == nil {
		t.Error("a 16-byte key accepted")
	}
}

func TestLoadOrCreateKeyFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "data", "secret.key")
	key, created, err := LoadOrCreateKeyFile(path)
	if err != nil || !created {
		t.Fatalf("create: %v %v", created, err)
	}
	info, _ := os.Stat(path)
	if info.Mode().Perm() != 0o600 {
		t.Errorf("key file mode %v, want 0600", info.Mode().Perm())
	}
	again, created, err := LoadOrCreateKeyFile(path)
	if err != nil || created || !bytes.Equal(again, key) {
		t.Errorf("second load: %v %v", created, err)
	}
}
