package binlog

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/logwarden/logwarden/internal/testutil"
)

// makeDB has Python's sqlite3 module (the real SQLite library) build a
// database from SQL, so the reader is checked against SQLite's own bytes.
func makeDB(t *testing.T, path, sql string) {
	t.Helper()
	py := testutil.Peer(t, "python3", "Debian package python3")
	script := "import sqlite3,sys\nc=sqlite3.connect(sys.argv[1])\nc.executescript('PRAGMA synchronous=OFF; BEGIN;'+sys.stdin.read()+'COMMIT;')\nc.close()\n"
	cmd := exec.Command(py, "-c", script, path)
	cmd.Stdin = strings.NewReader(sql)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("python3 sqlite3: %v\n%s", err, out)
	}
}

func TestReadWtmpdb(t *testing.T) {
	for _, schema := range []string{
		"CREATE TABLE IF NOT EXISTS wtmp(ID INTEGER PRIMARY KEY, Type INTEGER, User TEXT NOT NULL, Login INTEGER, Logout INTEGER, TTY TEXT, RemoteHost TEXT, Service TEXT) STRICT;",
		"CREATE TABLE IF NOT EXISTS wtmp(Type INTEGER, User TEXT NOT NULL, PID INTEGER, Login INTEGER, Logout INTEGER, TTY TEXT, RemoteHost TEXT, Service TEXT) STRICT;",
	} {
		t.Run(strings.Fields(schema)[5], func(t *testing.T) {
			var sb strings.Builder
			sb.WriteString(schema + "\n")
			base := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC).UnixMicro()
			const n = 3000 // several b-tree levels with 4 KiB pages
			for i := 0; i < n; i++ {
				typ, user, host := 3, fmt.Sprintf("user%d", i%17), fmt.Sprintf("203.0.113.%d", i%250)
				if i%500 == 0 {
					typ, user, host = 1, "reboot", "6.12.48+deb13-amd64"
				}
				if i == 1234 {
					host = strings.Repeat("h", 9000) // overflow pages
				}
				logout := "NULL"
				if i%3 != 0 {
					logout = fmt.Sprint(base + int64(i)*60e6 + 30e6)
				}
				cols, vals := "Type,User,Login,Logout,TTY,RemoteHost,Service", fmt.Sprintf("%d,'%s',%d,%s,'pts/%d','%s','sshd'", typ, user, base+int64(i)*60e6, logout, i%9, host)
				if strings.Contains(schema, "PID") {
					cols, vals = cols+",PID", vals+fmt.Sprintf(",%d", 1000+i)
				}
				fmt.Fprintf(&sb, "INSERT INTO wtmp (%s) VALUES(%s);\n", cols, vals)
			}
			p := filepath.Join(t.TempDir(), "wtmp.db")
			makeDB(t, p, sb.String())
			es, wal, err := ReadWtmpdb(p)
			if err != nil {
				t.Fatal(err)
			}
			if wal || len(es) != n {
				t.Fatalf("%d entries (wal %v), want %d", len(es), wal, n)
			}
			for i, e := range es {
				wantLogin := time.UnixMicro(base + int64(i)*60e6).UTC()
				if !e.Login.Equal(wantLogin) || e.ID != int64(i+1) || e.TTY != fmt.Sprintf("pts/%d", i%9) || e.Service != "sshd" {
					t.Fatalf("entry %d: %+v", i, e)
				}
				if (i%3 == 0) != e.Logout.IsZero() {
					t.Fatalf("entry %d logout %v", i, e.Logout)
				}
				if i%500 == 0 && (e.Type != WtmpdbBootTime || e.User != "reboot") {
					t.Fatalf("entry %d: %+v", i, e)
				}
				if strings.Contains(schema, "PID") && e.PID != int64(1000+i) {
					t.Fatalf("entry %d pid %d", i, e.PID)
				}
			}
			if len(es[1234].RemoteHost) != 9000 {
				t.Fatalf("overflow payload: %d bytes", len(es[1234].RemoteHost))
			}
		})
	}
}

func TestReadLastlog2(t *testing.T) {
	p := filepath.Join(t.TempDir(), "lastlog2.db")
	makeDB(t, p, "CREATE TABLE IF NOT EXISTS Lastlog2(Name TEXT PRIMARY KEY, Time INTEGER NOT NULL, TTY TEXT, RemoteHost TEXT, Service TEXT);\n"+
		"INSERT INTO Lastlog2 VALUES('alice',1793577670,'pts/0','203.0.113.5','sshd');\n"+
		"INSERT INTO Lastlog2 VALUES('bob',0,NULL,NULL,NULL);\n")
	es, err := ReadLastlog2(p)
	if err != nil {
		t.Fatal(err)
	}
	if len(es) != 2 || es[0].Name != "alice" || es[0].Time.Unix() != 1793577670 || es[0].RemoteHost != "203.0.113.5" || !es[1].Time.IsZero() {
		t.Fatalf("%+v", es)
	}
}

func TestSQLiteRefusesGarbage(t *testing.T) {
	dir := t.TempDir()
	for name, data := range map[string][]byte{
		"text.db":  []byte(strings.Repeat("not a database\n", 100)),
		"short.db": []byte("SQLite format 3\x00"),
		"zero.db":  append([]byte("SQLite format 3\x00\x10\x00"), make([]byte, 4096*2)...),
	} {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		if _, _, err := ReadWtmpdb(p); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func FuzzSQLite(f *testing.F) {
	f.Add([]byte("SQLite format 3\x00\x10\x00\x01\x01\x00\x40\x20\x20"))
	if py, err := exec.LookPath("python3"); err == nil { // a real database as a seed, with an overflow page
		p := filepath.Join(f.TempDir(), "seed.db")
		sql := "PRAGMA page_size=512; CREATE TABLE wtmp(ID INTEGER PRIMARY KEY, Type INTEGER, User TEXT NOT NULL, Login INTEGER, Logout INTEGER, TTY TEXT, RemoteHost TEXT, Service TEXT);" +
			"INSERT INTO wtmp VALUES(1,3,'alice',1793577670000000,NULL,'pts/0','" + strings.Repeat("h", 700) + "','sshd');" +
			"INSERT INTO wtmp VALUES(2,1,'reboot',1793577600000000,NULL,'~','6.12',NULL);"
		cmd := exec.Command(py, "-c", "import sqlite3,sys\nc=sqlite3.connect(sys.argv[1])\nc.executescript(sys.stdin.read())\nc.close()\n", p)
		cmd.Stdin = strings.NewReader(sql)
		if cmd.Run() == nil {
			if b, err := os.ReadFile(p); err == nil {
				f.Add(b)
			}
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		d, err := openSQLite(b)
		if err != nil {
			return
		}
		_, _ = d.rows("wtmp")
		_, _ = d.rows("Lastlog2")
	})
}
