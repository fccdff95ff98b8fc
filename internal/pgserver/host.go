package pgserver

// What depends on the host rather than on PostgreSQL: the OS user, the
// binaries, the directories and the start lock.

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"syscall"
	"time"
)

var errRootNoUser = errors.New("PostgreSQL refuses to run as root: create an unprivileged user with `useradd --system postgres`, or set DATABASE_URL to a running server")

// runAs returns the credential to run PostgreSQL programs with: nil unless
// we are root, since PostgreSQL refuses to run as root.
func runAs() (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup("postgres")
	if errors.As(err, new(user.UnknownUserError)) {
		return nil, errRootNoUser
	} else if err != nil {
		return nil, wrap(err)
	}
	uid, err1 := strconv.ParseUint(u.Uid, 10, 32)
	gid, err2 := strconv.ParseUint(u.Gid, 10, 32)
	if err := errors.Join(err1, err2); err != nil {
		return nil, fmt.Errorf("pgserver: user postgres: %w", err)
	}
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
}

// resolve makes dataDir absolute (pg_ctl runs in "/"), finds the binaries
// and the credential to run them with.
func resolve(dataDir, binDir string) (string, string, *syscall.Credential, error) {
	dataDir, err := filepath.Abs(dataDir)
	if err != nil {
		return "", "", nil, wrap(err)
	}
	if binDir, err = findBinDir(binDir); err != nil {
		return "", "", nil, err
	}
	cred, err := runAs()
	return dataDir, binDir, cred, err
}

// findBinDir resolves the PostgreSQL binary directory as documented on Options.
func findBinDir(binDir string) (string, error) {
	if binDir != "" {
		return binDir, nil
	}
	if d := os.Getenv("PG_BINDIR"); d != "" {
		return d, nil
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	best, bestVersion := "", -1.0
	for _, d := range dirs {
		// Debian names them by major version ("9.6", "15"); compare numerically.
		v, err := strconv.ParseFloat(filepath.Base(filepath.Dir(d)), 64)
		if err != nil || v <= bestVersion {
			continue
		}
		if _, err := os.Stat(filepath.Join(d, "initdb")); err == nil {
			best, bestVersion = d, v
		}
	}
	if best != "" {
		return best, nil
	}
	initdb, err := exec.LookPath("initdb")
	if err != nil {
		return "", errors.New("pgserver: no PostgreSQL binaries found: install PostgreSQL (initdb, pg_ctl, postgres), set PG_BINDIR, or set DATABASE_URL to a running server")
	}
	// A symlink in /usr/local/bin may have no pg_ctl next to it; its target does.
	if real, err := filepath.EvalSymlinks(initdb); err == nil {
		initdb = real
	}
	return filepath.Dir(initdb), nil
}

// prepareDirs creates dataDir and its missing parents. As root it also
// checks that the postgres user can reach dataDir: parents we create get
// 0755, parents that existed before are only checked, never changed.
func prepareDirs(dataDir string, cred *syscall.Credential) error {
	var missing []string
	existing := dataDir
	for ; ; existing = filepath.Dir(existing) {
		if _, err := os.Stat(existing); err == nil || !errors.Is(err, fs.ErrNotExist) || existing == filepath.Dir(existing) {
			break
		}
		missing = append(missing, existing)
	}
	for i := len(missing) - 1; i >= 0; i-- {
		mode := fs.FileMode(0o755)
		if missing[i] == dataDir {
			mode = 0o700 // PostgreSQL insists on a private data directory
		}
		err := os.Mkdir(missing[i], mode)
		if err == nil || errors.Is(err, fs.ErrExist) {
			err = os.Chmod(missing[i], mode) // undo the umask
		}
		if err != nil {
			return wrap(err)
		}
	}
	if cred == nil {
		return nil
	}
	if existing == dataDir {
		existing = filepath.Dir(dataDir)
	}
	for d := existing; ; d = filepath.Dir(d) {
		fi, err := os.Stat(d)
		if err != nil {
			return wrap(err)
		}
		if fi.Mode().Perm()&0o001 == 0 {
			return fmt.Errorf("pgserver: %s is not world-executable, so the postgres user cannot reach %s: run `chmod o+x %s` or choose another data directory", d, dataDir, d)
		}
		if d == filepath.Dir(d) {
			return nil
		}
	}
}

// chownTree gives dataDir and everything in it to cred's user (nil: no-op),
// since files left by a run as root would stop the server from starting.
func chownTree(dataDir string, cred *syscall.Credential) error {
	if cred == nil {
		return nil
	}
	return wrap(filepath.WalkDir(dataDir, func(p string, _ fs.DirEntry, err error) error {
		if err == nil {
			err = os.Lchown(p, int(cred.Uid), int(cred.Gid))
		}
		return err
	}))
}

// lock takes an exclusive flock on path so that only one process at a time
// runs initdb or starts the server; it polls so that ctx can cancel the wait.
func lock(ctx context.Context, path string, cred *syscall.Credential) (unlock func(), err error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, wrap(err)
	}
	if cred != nil {
		err = f.Chown(int(cred.Uid), int(cred.Gid))
	}
	for err == nil {
		err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return func() { f.Close() }, nil // closing releases the lock
		}
		if err == syscall.EWOULDBLOCK || err == syscall.EINTR {
			select {
			case <-ctx.Done():
				err = ctx.Err()
			case <-time.After(50 * time.Millisecond):
				err = nil
			}
		}
	}
	f.Close()
	return nil, fmt.Errorf("pgserver: lock %s: %w", path, err)
}

// wrap prefixes err with the package name; nil stays nil.
func wrap(err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("pgserver: %w", err)
}
