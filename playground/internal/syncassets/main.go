// Command syncassets copies the GraphiQL, React and ReactDOM browser bundles
// pinned by package-lock.json from node_modules into playground/assets, which
// the playground package embeds. With -check it writes nothing and exits 1 if
// playground/assets differs from what the lockfile yields (for CI).
//
// Usage, from anywhere inside the module:
//
//	go generate ./playground                    # npm ci, then copy
//	go run ./playground/internal/syncassets -check
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
)

// A file copied verbatim from node_modules. Names in assets/ are stable (no
// version in them); the playground package puts a content hash in the URL.
type file struct {
	pkg  string // npm package name
	src  string // path inside the package
	dest string // name in playground/assets
}

var files = []file{
	{"react", "umd/react.production.min.js", "react.production.min.js"},
	{"react-dom", "umd/react-dom.production.min.js", "react-dom.production.min.js"},
	{"graphiql", "graphiql.min.js", "graphiql.min.js"},
	{"graphiql", "graphiql.min.css", "graphiql.min.css"},
	{"@graphiql/plugin-explorer", "dist/index.umd.js", "plugin-explorer.umd.js"},
	// The package ships no minified CSS (the CDN minifies on the fly).
	{"@graphiql/plugin-explorer", "dist/style.css", "plugin-explorer.css"},
}

// licensesFile records the version and license of each vendored package,
// since the bundles are redistributed inside the binary.
const licensesFile = "LICENSES.txt"

func main() {
	check := flag.Bool("check", false, "compare playground/assets with the lockfile's packages instead of writing")
	npm := flag.Bool("npm", true, "run npm ci first (false: use node_modules as it is)")
	flag.Parse()

	if err := run(*check, *npm); err != nil {
		fmt.Fprintln(os.Stderr, "syncassets:", err)
		os.Exit(1)
	}
}

func run(check, npm bool) error {
	root, err := moduleRoot()
	if err != nil {
		return err
	}
	if npm {
		// --ignore-scripts: we only need the published files, not install hooks.
		cmd := exec.Command("npm", "ci", "--ignore-scripts", "--no-audit", "--no-fund")
		cmd.Dir = root
		cmd.Stdout = os.Stderr
		cmd.Stderr = os.Stderr
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("npm ci in %s: %w", root, err)
		}
	}

	want, err := expected(filepath.Join(root, "node_modules"))
	if err != nil {
		return err
	}
	outDir := filepath.Join(root, "playground", "assets")
	if check {
		return compare(outDir, want)
	}
	return write(outDir, want)
}

// moduleRoot walks up from the working directory to the go.mod that sits
// beside package.json, so the command works from the root and from
// playground/ (where go generate runs it).
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		_, errMod := os.Stat(filepath.Join(dir, "go.mod"))
		_, errPkg := os.Stat(filepath.Join(dir, "package.json"))
		if errMod == nil && errPkg == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no directory with both go.mod and package.json above the working directory")
		}
		dir = parent
	}
}

// expected returns the content every file in playground/assets must have.
func expected(nodeModules string) (map[string][]byte, error) {
	out := make(map[string][]byte)
	var pkgs []string
	for _, f := range files {
		b, err := os.ReadFile(filepath.Join(nodeModules, f.pkg, filepath.FromSlash(f.src)))
		if err != nil {
			return nil, fmt.Errorf("%w (run without -npm=false, or npm ci)", err)
		}
		out[f.dest] = b
		if !slices.Contains(pkgs, f.pkg) {
			pkgs = append(pkgs, f.pkg)
		}
	}

	var lic bytes.Buffer
	lic.WriteString("Third-party files in this directory, copied from npm packages by\n" +
		"playground/internal/syncassets. Do not edit; run `go generate ./playground`.\n")
	for _, pkg := range pkgs {
		dir := filepath.Join(nodeModules, pkg)
		var meta struct{ Version, License string }
		b, err := os.ReadFile(filepath.Join(dir, "package.json"))
		if err != nil {
			return nil, err
		}
		if err := json.Unmarshal(b, &meta); err != nil {
			return nil, fmt.Errorf("%s/package.json: %w", pkg, err)
		}
		fmt.Fprintf(&lic, "\n==== %s@%s (%s) ====\n", pkg, meta.Version, meta.License)
		for _, f := range files {
			if f.pkg == pkg {
				fmt.Fprintf(&lic, "%s <- %s/%s\n", f.dest, pkg, f.src)
			}
		}
		text, err := os.ReadFile(filepath.Join(dir, "LICENSE"))
		switch {
		case err == nil:
			lic.WriteString("\n" + strings.TrimSpace(string(text)) + "\n")
		case errors.Is(err, fs.ErrNotExist):
			fmt.Fprintf(&lic, "\n(The package ships no LICENSE file; package.json says %q.)\n", meta.License)
		default:
			return nil, err
		}
	}
	out[licensesFile] = lic.Bytes()
	return out, nil
}

func write(outDir string, want map[string][]byte) error {
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return err
	}
	// Remove files that are no longer produced, so assets/ holds exactly the set.
	entries, err := os.ReadDir(outDir)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if _, ok := want[e.Name()]; !ok {
			if err := os.RemoveAll(filepath.Join(outDir, e.Name())); err != nil {
				return err
			}
		}
	}
	for name, b := range want {
		if err := os.WriteFile(filepath.Join(outDir, name), b, 0o644); err != nil {
			return err
		}
	}
	return nil
}

func compare(outDir string, want map[string][]byte) error {
	var problems []string
	entries, err := os.ReadDir(outDir)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	for _, e := range entries {
		if _, ok := want[e.Name()]; !ok {
			problems = append(problems, "unexpected file "+e.Name())
		}
	}
	for name, b := range want {
		got, err := os.ReadFile(filepath.Join(outDir, name))
		switch {
		case errors.Is(err, fs.ErrNotExist):
			problems = append(problems, "missing "+name)
		case err != nil:
			return err
		case !bytes.Equal(got, b):
			problems = append(problems, "differs: "+name)
		}
	}
	if len(problems) > 0 {
		slices.Sort(problems)
		return fmt.Errorf("playground/assets does not match package-lock.json; run `go generate ./playground` and commit:\n  %s",
			strings.Join(problems, "\n  "))
	}
	fmt.Fprintln(os.Stderr, "syncassets: playground/assets matches package-lock.json")
	return nil
}
