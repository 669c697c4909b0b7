package testdb

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// Cluster is a PostgreSQL server of the test's own, on a port of its own,
// for tests that stop, restart or freeze the database: the shared server
// on 5432 is never touched.
type Cluster struct {
	t    testing.TB
	dir  string
	port int
	bin  string
	// run runs a PostgreSQL program as the postgres user (the server
	// refuses to run as root).
	run func(name string, args ...string) *exec.Cmd
}

// NewCluster initialises and starts a private cluster, stopped and removed
// with the test. Without PostgreSQL's programs it skips, except under
// CI=true, where it fails.
func NewCluster(t testing.TB) *Cluster {
	t.Helper()
	bin := postgresBin()
	if bin == "" {
		unavailable(t, "no PostgreSQL server programs (initdb, pg_ctl) under /usr/lib/postgresql")
	}
	c := &Cluster{t: t, bin: bin, port: freePort(t)}
	c.run = func(name string, args ...string) *exec.Cmd { return exec.Command(filepath.Join(bin, name), args...) }
	dir, err := os.MkdirTemp("", "pointguard-cluster-")
	if err != nil {
		t.Fatal(err)
	}
	c.dir = dir
	t.Cleanup(func() { os.RemoveAll(dir) })
	if os.Geteuid() == 0 {
		pg, err := user.Lookup("postgres")
		if err != nil {
			unavailable(t, "running as root without a postgres user to run the server as")
		}
		uid, _ := strconv.Atoi(pg.Uid)
		gid, _ := strconv.Atoi(pg.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			t.Fatal(err)
		}
		c.run = func(name string, args ...string) *exec.Cmd {
			cmd := exec.Command(filepath.Join(bin, name), args...)
			cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}}
			cmd.Dir = dir
			return cmd
		}
	}
	c.must("initdb", "-D", c.data(), "--auth=trust", "--username=root", "--no-sync", "-E", "UTF8")
	c.Start()
	t.Cleanup(func() {
		c.Thaw()
		c.run("pg_ctl", "-D", c.data(), "-m", "immediate", "-w", "stop").Run()
	})
	return c
}

// URL is the cluster's postgres database.
func (c *Cluster) URL() string {
	return fmt.Sprintf("postgres://root@127.0.0.1:%d/postgres?sslmode=disable", c.port)
}

// Start starts the server and waits until it accepts connections.
func (c *Cluster) Start() {
	c.t.Helper()
	opts := fmt.Sprintf("-p %d -c listen_addresses=127.0.0.1 -c unix_socket_directories=%s -c fsync=on", c.port, c.dir)
	c.must("pg_ctl", "-D", c.data(), "-l", filepath.Join(c.dir, "log"), "-o", opts, "-w", "-t", "60", "start")
}

// Restart stops the server at once, as a crash would (immediate mode:
// no checkpoint, every session cut), and starts it again.
func (c *Cluster) Restart() {
	c.t.Helper()
	c.must("pg_ctl", "-D", c.data(), "-m", "immediate", "-w", "stop")
	c.Start()
}

// Freeze stops every process of the server (SIGSTOP): connections stay
// open and nothing answers, as with a hung host.
func (c *Cluster) Freeze() { c.signal(syscall.SIGSTOP) }

// Thaw lets a frozen server go on (SIGCONT).
func (c *Cluster) Thaw() { c.signal(syscall.SIGCONT) }

func (c *Cluster) signal(sig syscall.Signal) {
	c.t.Helper()
	b, err := os.ReadFile(filepath.Join(c.data(), "postmaster.pid"))
	if err != nil {
		return // not running
	}
	postmaster, _ := strconv.Atoi(strings.SplitN(string(b), "\n", 2)[0])
	pids := []int{postmaster}
	if out, err := exec.Command("pgrep", "-P", strconv.Itoa(postmaster)).Output(); err == nil {
		for _, f := range strings.Fields(string(out)) {
			if pid, err := strconv.Atoi(f); err == nil {
				pids = append(pids, pid)
			}
		}
	}
	for _, pid := range pids {
		syscall.Kill(pid, sig)
	}
}

func (c *Cluster) data() string { return filepath.Join(c.dir, "data") }

func (c *Cluster) must(name string, args ...string) {
	c.t.Helper()
	if out, err := c.run(name, args...).CombinedOutput(); err != nil {
		log, _ := os.ReadFile(filepath.Join(c.dir, "log"))
		c.t.Fatalf("%s %s: %v\n%s\n%s", name, strings.Join(args, " "), err, out, log)
	}
}

// postgresBin is the folder of the newest installed server's programs.
func postgresBin() string {
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	for i := len(dirs) - 1; i >= 0; i-- {
		if _, err := os.Stat(filepath.Join(dirs[i], "pg_ctl")); err == nil {
			return dirs[i]
		}
	}
	return ""
}

// freePort is a loopback port nothing listens on now.
func freePort(t testing.TB) int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

func unavailable(t testing.TB, why string) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf("required under CI=true: %s", why)
	}
	t.Skip(why)
}
