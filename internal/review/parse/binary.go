package parse

import (
	"encoding/json"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/logwarden/logwarden/internal/binlog"
)

// FromUtmp converts one wtmp/btmp/utmp record to a Record (see the
// KindWtmp* and KindBtmpFailed docs). index is the 0-based record index;
// Line is index+1. Raw is the record's JSON line (binlog.JSONRecord).
func FromUtmp(u binlog.Utmp, f binlog.Format, l binlog.Layout, index int64, source string) Record {
	r := Record{
		Time:    u.Time,
		Program: f.String(),
		PID:     int(u.PID),
		User:    u.User,
		TTY:     u.Line,
		Source:  source,
		Line:    index + 1,
		Offset:  index * int64(l.Size),
		Raw:     string(binlog.UtmpJSON(u, f, l, index).Marshal()),
	}
	setAddr(&r, u.Addr.IsValid(), u.Addr.String(), u.Host)
	if f == binlog.FormatBtmp {
		r.Kind = KindBtmpFailed
		return r
	}
	switch u.Type {
	case binlog.UserProcess:
		r.Kind = KindWtmpLogin
	case binlog.DeadProcess:
		r.Kind = KindWtmpLogout
	case binlog.BootTime:
		r.Kind, r.SrcIP, r.Detail = KindWtmpBoot, "", u.Host
	case binlog.RunLevel:
		if u.User == "shutdown" {
			r.Kind, r.SrcIP, r.Detail = KindWtmpShutdown, "", u.Host
		} else {
			r.Kind, r.SrcIP, r.Detail = KindWtmpRunLevel, "", "runlevel="+strconv.Itoa(int(u.PID%256))
		}
	case binlog.NewTime:
		r.Kind, r.Detail = KindWtmpClock, "new_time"
	case binlog.OldTime:
		r.Kind, r.Detail = KindWtmpClock, "old_time"
	default:
		r.Kind, r.Detail = KindWtmpOther, binlog.TypeName(u.Type)
	}
	return r
}

// FromLastlog converts a lastlog entry. User is "uid:N" unless names maps
// the uid to an account name.
func FromLastlog(e binlog.Lastlog, l binlog.LastlogLayout, names map[uint32]string, source string) Record {
	uid := strconv.FormatUint(uint64(e.UID), 10)
	user := names[e.UID]
	if user == "" {
		user = "uid:" + uid
	}
	r := Record{
		Time:    e.Time,
		Program: "lastlog",
		Kind:    KindLastlog,
		User:    user,
		TTY:     e.Line,
		Detail:  "uid=" + uid,
		Source:  source,
		Line:    int64(e.UID) + 1,
		Offset:  int64(e.UID) * int64(l.Size),
		Raw:     string(binlog.LastlogJSON(e, l).Marshal()),
	}
	if looksLikeIP(e.Host) {
		r.SrcIP = e.Host
	} else if e.Host != "" {
		r.Detail += " host=" + e.Host
	}
	return r
}

func setAddr(r *Record, hasAddr bool, addr, host string) {
	switch {
	case hasAddr:
		r.SrcIP = addr
		if host != "" && host != addr {
			r.Detail = "host=" + host
		}
	case looksLikeIP(host):
		r.SrcIP = host
	case host != "":
		r.Detail = "host=" + host
	}
}

// FromBinlogJSON converts a JSON line written by binlog (JSONRecord; e.g.
// a wtmp record shipped to CloudWatch Logs as text) back into a Record.
// ok is false when line is not such a record.
func FromBinlogJSON(line string, source string, lineNo int64) (Record, bool) {
	if len(line) < 2 || line[0] != '{' || !strings.Contains(line, `"format":`) {
		return Record{}, false
	}
	var j binlog.JSONRecord
	if err := json.Unmarshal([]byte(line), &j); err != nil {
		return Record{}, false
	}
	var t time.Time
	if j.Time != "" {
		var err error
		if t, err = time.Parse(time.RFC3339Nano, j.Time); err != nil {
			return Record{}, false
		}
	}
	var r Record
	switch j.Format {
	case "lastlog":
		if j.UID == nil || *j.UID < 0 || *j.UID > 1<<32-1 {
			return Record{}, false
		}
		r = FromLastlog(binlog.Lastlog{UID: uint32(*j.UID), Time: t, Line: j.TTY, Host: j.Host}, binlog.LastlogX86_64, nil, source)
	case "wtmp", "btmp", "utmp":
		typ := int16(-1)
		for i := int16(0); i <= binlog.Accounting; i++ {
			if binlog.TypeName(i) == j.Type {
				typ = i
			}
		}
		if typ < 0 {
			return Record{}, false
		}
		u := binlog.Utmp{Type: typ, PID: j.PID, Line: j.TTY, ID: j.ID, User: j.User, Host: j.Host, Session: j.Session, Time: t}
		if j.Exit != nil {
			u.ExitTerm, u.ExitCode = j.Exit.Termination, j.Exit.Code
		}
		if a, err := netip.ParseAddr(j.IP); err == nil {
			u.Addr = a
		}
		f := map[string]binlog.Format{"wtmp": binlog.FormatWtmp, "btmp": binlog.FormatBtmp, "utmp": binlog.FormatUtmp}[j.Format]
		r = FromUtmp(u, f, binlog.LayoutX86_64, j.Index, source)
	default:
		return Record{}, false
	}
	r.Line, r.Offset, r.Raw = lineNo, -1, line
	return r, true
}

// FromWtmpdb converts one wtmpdb row into its events: a boot (and the
// shutdown that closed it) or a login (and its logout once it ended).
// Raw is a binlog.JSONRecord line with format "wtmpdb"; Line is the row id.
func FromWtmpdb(e binlog.WtmpdbEntry, source string) []Record {
	ev := func(kind Kind, t time.Time, typ string) Record {
		j := binlog.JSONRecord{Format: "wtmpdb", Type: typ, User: e.User, TTY: e.TTY, Host: e.RemoteHost, PID: int32(e.PID),
			Session: e.ID, Layout: "sqlite", Index: e.ID}
		if !t.IsZero() {
			j.Time = t.UTC().Format(time.RFC3339Nano)
		}
		r := Record{Time: t, Program: "wtmpdb", PID: int(e.PID), Kind: kind, User: e.User, TTY: e.TTY, Source: source,
			Line: e.ID, Offset: -1, Raw: string(j.Marshal())}
		setAddr(&r, false, "", e.RemoteHost)
		if e.Service != "" {
			if r.Detail != "" {
				r.Detail += " "
			}
			r.Detail += "service=" + e.Service
		}
		return r
	}
	var out []Record
	switch e.Type {
	case binlog.WtmpdbBootTime:
		b := ev(KindWtmpBoot, e.Login, "BOOT_TIME")
		b.User, b.SrcIP, b.Detail = "reboot", "", e.RemoteHost
		out = append(out, b)
		if !e.Logout.IsZero() {
			s := ev(KindWtmpShutdown, e.Logout, "RUN_LVL")
			s.User, s.SrcIP, s.Detail = "shutdown", "", e.RemoteHost
			out = append(out, s)
		}
	case binlog.WtmpdbUserProcess:
		out = append(out, ev(KindWtmpLogin, e.Login, "USER_PROCESS"))
		if !e.Logout.IsZero() {
			out = append(out, ev(KindWtmpLogout, e.Logout, "DEAD_PROCESS"))
		}
	default:
		r := ev(KindWtmpRunLevel, e.Login, "RUN_LVL")
		r.Detail = "wtmpdb_type=" + strconv.FormatInt(e.Type, 10)
		out = append(out, r)
	}
	return out
}

// FromLastlog2 converts a lastlog2 row (KindLastlog with the account name).
func FromLastlog2(e binlog.Lastlog2Entry, source string, line int64) Record {
	j := binlog.JSONRecord{Format: "lastlog2", Type: "lastlog", User: e.Name, TTY: e.TTY, Host: e.RemoteHost, Layout: "sqlite", Index: line - 1}
	if !e.Time.IsZero() {
		j.Time = e.Time.UTC().Format(time.RFC3339Nano)
	}
	r := Record{Time: e.Time, Program: "lastlog2", Kind: KindLastlog, User: e.Name, TTY: e.TTY, Source: source, Line: line,
		Offset: -1, Raw: string(j.Marshal())}
	setAddr(&r, false, "", e.RemoteHost)
	return r
}
