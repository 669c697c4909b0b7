package webhooks

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
	"time"
)

// Policy says which URLs an endpoint may have and which addresses a
// delivery may dial.
type Policy struct {
	// AllowLoopback admits http:// (and https://) URLs whose host is a
	// loopback address (POINTGUARD_WEBHOOK_ALLOW_LOOPBACK=true), for
	// development and tests. Nothing else private is ever admitted.
	AllowLoopback bool
	// Resolve looks a host name up; nil means net.DefaultResolver.
	Resolve func(ctx context.Context, host string) ([]netip.Addr, error)
}

// Limits of a delivery.
const (
	// Timeout is the most a delivery may take, connection included.
	Timeout = 10 * time.Second
	// MaxResponseBytes is how much of a receiver's answer is read.
	MaxResponseBytes = 64 << 10
	// SnippetBytes is how much of it the delivery log keeps.
	SnippetBytes = 1 << 10
	// MaxURLBytes bounds an endpoint's URL.
	MaxURLBytes = 2048
)

var (
	cgnat     = netip.MustParsePrefix("100.64.0.0/10")
	benchmark = netip.MustParsePrefix("198.18.0.0/15")
	reserved  = netip.MustParsePrefix("240.0.0.0/4")
	thisNet   = netip.MustParsePrefix("0.0.0.0/8")
	nat64     = netip.MustParsePrefix("64:ff9b::/96")
)

// CheckAddr tells why a delivery must not go to addr, or nil if it may.
func (p Policy) CheckAddr(addr netip.Addr) error {
	addr = addr.Unmap()
	switch {
	case addr.IsLoopback():
		if p.AllowLoopback {
			return nil
		}
		return fmt.Errorf("%s is a loopback address (allowed only with POINTGUARD_WEBHOOK_ALLOW_LOOPBACK=true)", addr)
	case addr == netip.MustParseAddr("169.254.169.254") || addr == netip.MustParseAddr("fd00:ec2::254"):
		return fmt.Errorf("%s is a cloud metadata address", addr)
	case addr.IsLinkLocalUnicast() || addr.IsLinkLocalMulticast():
		return fmt.Errorf("%s is a link-local address", addr)
	case addr.IsPrivate() || cgnat.Contains(addr):
		return fmt.Errorf("%s is a private address", addr)
	case addr.IsUnspecified() || addr.IsMulticast() || addr.IsInterfaceLocalMulticast() ||
		benchmark.Contains(addr) || reserved.Contains(addr) || thisNet.Contains(addr) || nat64.Contains(addr) ||
		addr == netip.MustParseAddr("255.255.255.255"):
		return fmt.Errorf("%s is not a public address", addr)
	}
	return nil
}

// CheckURL tells why raw may not be an endpoint's URL, or nil. It resolves
// the host and refuses one any of whose addresses CheckAddr refuses; the
// delivery checks the address it dials again (Client), against DNS
// rebinding.
func (p Policy) CheckURL(ctx context.Context, raw string) error {
	if len(raw) > MaxURLBytes {
		return fmt.Errorf("must be at most %d bytes", MaxURLBytes)
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.Opaque != "" {
		return errors.New("must be an absolute https:// URL")
	}
	if u.User != nil {
		return errors.New("must not hold a user name or password")
	}
	host := u.Hostname()
	if host == "" {
		return errors.New("must name a host")
	}
	var addrs []netip.Addr
	if a, err := netip.ParseAddr(strings.Trim(host, "[]")); err == nil {
		addrs = []netip.Addr{a}
	} else {
		if strings.EqualFold(host, "localhost") || strings.HasSuffix(strings.ToLower(host), ".localhost") {
			addrs = []netip.Addr{netip.MustParseAddr("127.0.0.1")}
		} else {
			resolve := p.Resolve
			if resolve == nil {
				resolve = func(ctx context.Context, host string) ([]netip.Addr, error) {
					return net.DefaultResolver.LookupNetIP(ctx, "ip", host)
				}
			}
			addrs, err = resolve(ctx, host)
			if err != nil || len(addrs) == 0 {
				return fmt.Errorf("host %s does not resolve", host)
			}
		}
	}
	loopback := true
	for _, a := range addrs {
		if err := p.CheckAddr(a); err != nil {
			return fmt.Errorf("host %s: %v", host, err)
		}
		loopback = loopback && a.Unmap().IsLoopback()
	}
	switch u.Scheme {
	case "https":
	case "http":
		if !(p.AllowLoopback && loopback) {
			return errors.New("must be https:// (http:// only to a loopback address with POINTGUARD_WEBHOOK_ALLOW_LOOPBACK=true)")
		}
	default:
		return errors.New("must be an https:// URL")
	}
	return nil
}

// Client returns the HTTP client deliveries go through: every address it
// dials is checked by CheckAddr at the moment it is dialled (so a name
// that resolved to a public address when the endpoint was saved and to a
// private one now is refused), no proxy, no redirect followed, and
// Timeout for the whole exchange.
func (p Policy) Client() *http.Client {
	d := &net.Dialer{
		Timeout: Timeout,
		Control: func(network, address string, _ syscall.RawConn) error {
			ap, err := netip.ParseAddrPort(address)
			if err != nil {
				return fmt.Errorf("webhooks: dialling %s: %w", address, err)
			}
			if err := p.CheckAddr(ap.Addr()); err != nil {
				return fmt.Errorf("webhooks: refused to dial %s: %v", address, err)
			}
			return nil
		},
	}
	return &http.Client{
		Timeout: Timeout,
		Transport: &http.Transport{
			Proxy:                 nil,
			DialContext:           d.DialContext,
			TLSHandshakeTimeout:   Timeout,
			ResponseHeaderTimeout: Timeout,
			MaxIdleConnsPerHost:   2,
			IdleConnTimeout:       30 * time.Second,
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// ReadSnippet reads at most MaxResponseBytes of r and returns its first
// SnippetBytes, for the delivery log.
func ReadSnippet(r io.Reader) string {
	b, _ := io.ReadAll(io.LimitReader(r, MaxResponseBytes))
	if len(b) > SnippetBytes {
		b = b[:SnippetBytes]
	}
	return strings.ToValidUTF8(string(b), "")
}
