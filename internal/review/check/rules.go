package check

import (
	"cmp"
	"fmt"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"
)

// judge runs the rules over the engine's sorted records.
type judge struct {
	e *Engine
	// Strings the rules use as keys, interned before the rules run: the
	// rules run concurrently and must not write to the engine.
	idUnapproved, idIncorrectPassword uint32
}

func (j *judge) s(id uint32) string { return j.e.strs[id] }

func (j *judge) arg(x rec) uint32    { return j.e.extOf(x).arg }
func (j *judge) aux(x rec) uint32    { return j.e.extOf(x).aux }
func (j *judge) target(x rec) uint32 { return j.e.extOf(x).target }

func (j *judge) time(x rec) time.Time { return time.Unix(0, x.t).In(j.e.pol.Location()) }

func (j *judge) ref(x rec) Ref {
	line, off := j.e.posOf(x)
	return Ref{Source: j.e.files[j.e.srcOf(x)], Line: line, Offset: off}
}

// item builds an Item from the records idx (in time order) of evs.
func (j *judge) item(rule string, sev Severity, host, subject string, idx []int32, sum Text) Item {
	it := Item{
		Key:      rule + "|" + host + "|" + subject,
		Severity: sev, Host: host, Subject: subject, Count: len(idx), Summary: sum,
		Evidence: []Ref{}, EvidenceTotal: len(idx),
	}
	if len(idx) > 0 {
		it.First = j.time(j.e.evs[idx[0]])
		it.Last = j.time(j.e.evs[idx[len(idx)-1]])
	}
	for _, k := range idx {
		if len(it.Evidence) == MaxRefs {
			break
		}
		ref := j.ref(j.e.evs[k])
		if n := len(it.Evidence); n > 0 && it.Evidence[n-1] == ref {
			continue // a repeated line counts several times but is one line
		}
		it.Evidence = append(it.Evidence, ref)
	}
	return it
}

// finish sorts items (severity desc, first time, key), caps them and sets the verdict.
func finish(r Result) Result {
	if r.Counts == nil {
		r.Counts = map[string]int{}
	}
	if r.Items == nil {
		r.Items = []Item{}
	}
	if r.Maps == nil {
		r.Maps = []string{}
	}
	slices.SortStableFunc(r.Items, func(a, b Item) int {
		if c := cmp.Compare(b.Severity.rank(), a.Severity.rank()); c != 0 {
			return c
		}
		if c := a.First.Compare(b.First); c != 0 {
			return c
		}
		return cmp.Compare(a.Key, b.Key)
	})
	if len(r.Items) > MaxItems {
		r.ItemsDropped = len(r.Items) - MaxItems
		r.Items = r.Items[:MaxItems]
	}
	if r.Verdict == NA {
		return r
	}
	r.Verdict = Pass
	for _, it := range r.Items {
		switch it.Severity {
		case SevFinding:
			r.Verdict = Finding
		case SevNotice:
			if r.Verdict == Pass {
				r.Verdict = Notice
			}
		}
	}
	return r
}

type hostKey struct{ host, k uint32 }

// loginKey groups logins by account and source address.
type loginKey struct{ host, user, ip uint32 }

// groups holds record indexes (in time order) per key, and the keys in the
// order they were first seen: items are built in that order. Indexes are
// int32 (the event table is bounded by maxEvents) to halve what the rules
// hold over millions of failures.
type groups[K comparable] struct {
	idx   map[K][]int32
	order []K
}

func newGroups[K comparable]() *groups[K] { return &groups[K]{idx: map[K][]int32{}} }

// add appends record index i to the group of k.
func (g *groups[K]) add(k K, i int) {
	l, ok := g.idx[k]
	if !ok {
		g.order = append(g.order, k)
	}
	g.idx[k] = append(l, int32(i))
}

// groupAll groups the records keep accepts by key, as add would, but in two
// passes so that all groups share one exactly sized array: the failure
// rules group millions of records, and slices grown per group would leave
// as much again in discarded copies.
func groupAll[K comparable](evs []rec, keep func(x rec) bool, key func(x rec) K) *groups[K] {
	// One map lookup per record at most: consecutive records often share a
	// key (a brute-force run from one address), so the last one is cached.
	pos := map[K]int{}
	var order []K
	var count []int32
	slot := func(x rec, last *K, lastP *int) int {
		k := key(x)
		if *lastP < 0 || k != *last {
			p, ok := pos[k]
			if !ok {
				p = len(order)
				pos[k] = p
				order = append(order, k)
				count = append(count, 0)
			}
			*last, *lastP = k, p
		}
		return *lastP
	}
	var last K
	lastP, total := -1, 0
	for _, x := range evs {
		if keep(x) {
			p := slot(x, &last, &lastP)
			count[p]++
			total++
		}
	}
	all := make([]int32, total)
	next := make([]int32, len(order)) // where each group's next index goes
	g := &groups[K]{idx: make(map[K][]int32, len(order)), order: order}
	at := int32(0)
	for p, k := range order {
		next[p] = at
		g.idx[k] = all[at : at+count[p] : at+count[p]]
		at += count[p]
	}
	lastP = -1
	for i, x := range evs {
		if keep(x) {
			p := slot(x, &last, &lastP)
			all[next[p]] = int32(i)
			next[p]++
		}
	}
	return g
}

// groupBy groups the records matching keep by (host, key(x)).
func (j *judge) groupBy(keep func(x rec) bool, key func(x rec) uint32) *groups[hostKey] {
	return groupAll(j.e.evs, keep, func(x rec) hostKey { return hostKey{j.e.hostOf(x), key(x)} })
}

// split divides idx into the records that match and those that do not,
// each in time order.
func (j *judge) split(idx []int32, match func(x rec) bool) (yes, no []int32) {
	for _, i := range idx {
		if match(j.e.evs[i]) {
			yes = append(yes, i)
		} else {
			no = append(no, i)
		}
	}
	return yes, no
}

// setOf returns the members of list as a set.
func setOf(list []string) map[string]bool {
	m := make(map[string]bool, len(list))
	for _, s := range list {
		m[s] = true
	}
	return m
}

// note builds an item that points at no line (it is about a whole input,
// an account's state or the policy); key follows "rule||".
func note(rule string, sev Severity, key, subject string, sum Text) Item {
	return Item{Key: rule + "||" + key, Severity: sev, Subject: subject, Evidence: []Ref{}, Summary: sum}
}

// maxWindow returns the largest number of idx records within any window of
// length w, and the index range [lo, hi) of the first such window.
func (j *judge) maxWindow(idx []int32, w time.Duration) (best, lo, hi int) {
	l := 0
	for r := range idx {
		for j.e.evs[idx[r]].t-j.e.evs[idx[l]].t >= int64(w) {
			l++
		}
		if n := r - l + 1; n > best {
			best, lo, hi = n, l, r+1
		}
	}
	return best, lo, hi
}

func isFail(x rec) bool { return x.kind() == kLoginFail && x.flags()&fConsole == 0 && x.ip != 0 }

func ipOf(x rec) uint32   { return x.ip }
func userOf(x rec) uint32 { return x.user }

func (j *judge) users(idx []int32) []string {
	seen := map[string]bool{}
	for _, i := range idx {
		if u := j.s(j.e.evs[i].user); u != "" {
			seen[u] = true
		}
	}
	out := make([]string, 0, len(seen))
	for u := range seen {
		out = append(out, u)
	}
	slices.Sort(out)
	return out
}

func short(list []string, n int) string {
	if len(list) <= n {
		return strings.Join(list, ", ")
	}
	return strings.Join(list[:n], ", ") + fmt.Sprintf(" … (+%d)", len(list)-n)
}

func (j *judge) r01() Result {
	t := j.e.pol.Thresholds
	w := time.Duration(t.BruteForceWindowMin) * time.Minute
	r := Result{
		ID:    "R01",
		Title: Text{"SSH 무차별 대입 (IP별)", "SSH brute force per source IP"},
		Criterion: Text{
			fmt.Sprintf("한 IP에서 %d분 내 로그인 실패 %d회 이상 → 주의; %d분 내 %d회 이상 또는 24시간 %d회 이상 → 위험",
				t.BruteForceWindowMin, t.BruteForceNotice, t.BruteForceWindowMin, t.BruteForceFinding, t.BruteForceDaily),
			fmt.Sprintf("≥%d failed logins from one IP within %d min → notice; ≥%d within %d min or ≥%d in 24 h → finding",
				t.BruteForceNotice, t.BruteForceWindowMin, t.BruteForceFinding, t.BruteForceWindowMin, t.BruteForceDaily),
		},
		Maps: []string{"U-43", "U-03", "ISMS-P 2.9.5"},
	}
	g := j.groupBy(isFail, ipOf)
	total := 0
	for _, k := range g.order {
		idx := g.idx[k]
		total += len(idx)
		peak, lo, hi := j.maxWindow(idx, w)
		day, _, _ := j.maxWindow(idx, 24*time.Hour)
		var sev Severity
		switch {
		case peak >= t.BruteForceFinding || day >= t.BruteForceDaily:
			sev = SevFinding
		case peak >= t.BruteForceNotice:
			sev = SevNotice
		default:
			continue
		}
		ip := j.s(k.k)
		us := j.users(idx)
		it := j.item("R01", sev, j.s(k.host), ip, idx[lo:hi], Text{
			fmt.Sprintf("%s: 실패 %d회 (최대 %d분 내 %d회, 24시간 최대 %d회), 시도 계정 %d개: %s", ip, len(idx), t.BruteForceWindowMin, peak, day, len(us), short(us, 8)),
			fmt.Sprintf("%s: %d failures (peak %d in %d min, %d in 24 h), %d accounts tried: %s", ip, len(idx), peak, t.BruteForceWindowMin, day, len(us), short(us, 8)),
		})
		it.Count = len(idx)
		it.First, it.Last = j.time(j.e.evs[idx[0]]), j.time(j.e.evs[idx[len(idx)-1]])
		r.Items = append(r.Items, it)
	}
	r.Examined = total
	r.Counts = map[string]int{"failures": total, "source_ips": len(g.order)}
	return finish(r)
}

func (j *judge) r02() Result {
	t := j.e.pol.Thresholds
	w := int64(time.Duration(t.SprayWindowMin) * time.Minute)
	r := Result{
		ID:    "R02",
		Title: Text{"계정 대입(패스워드 스프레이)", "Password spraying"},
		Criterion: Text{
			fmt.Sprintf("한 IP가 %d분 내 서로 다른 계정 %d개 이상에 로그인 시도(실패·존재하지 않는 계정) → 위험", t.SprayWindowMin, t.SprayDistinctUsers),
			fmt.Sprintf("one IP tries ≥%d distinct user names (failures, invalid users) within %d min → finding", t.SprayDistinctUsers, t.SprayWindowMin),
		},
		Maps: []string{"ISMS-P 2.9.5"},
	}
	keep := func(x rec) bool { return (isFail(x) || x.kind() == kInvalidUser) && x.ip != 0 && x.user != 0 }
	g := j.groupBy(keep, ipOf)
	examined := 0
	var counts []int32
	for _, k := range g.order {
		idx := g.idx[k]
		examined += len(idx)
		// counts is indexed by interned user id and shared across IPs:
		// every increment is undone before the next IP.
		if len(counts) < len(j.e.strs) {
			counts = make([]int32, len(j.e.strs))
		}
		l, best, blo, bhi, distinct := 0, 0, 0, 0, 0
		for ri := range idx {
			if counts[j.e.evs[idx[ri]].user]++; counts[j.e.evs[idx[ri]].user] == 1 {
				distinct++
			}
			for j.e.evs[idx[ri]].t-j.e.evs[idx[l]].t >= w {
				if counts[j.e.evs[idx[l]].user]--; counts[j.e.evs[idx[l]].user] == 0 {
					distinct--
				}
				l++
			}
			if distinct > best {
				best, blo, bhi = distinct, l, ri+1
			}
		}
		for _, i := range idx[l:] {
			counts[j.e.evs[i].user] = 0
		}
		if best < t.SprayDistinctUsers {
			continue
		}
		ip := j.s(k.k)
		us := j.users(idx[blo:bhi])
		r.Items = append(r.Items, j.item("R02", SevFinding, j.s(k.host), ip, idx[blo:bhi], Text{
			fmt.Sprintf("%s: %d분 내 서로 다른 계정 %d개 시도: %s", ip, t.SprayWindowMin, best, short(us, 10)),
			fmt.Sprintf("%s: %d distinct accounts within %d min: %s", ip, best, t.SprayWindowMin, short(us, 10)),
		}))
	}
	r.Examined = examined
	r.Counts = map[string]int{"attempts": examined, "source_ips": len(g.order)}
	return finish(r)
}

func (j *judge) r03() Result {
	t := j.e.pol.Thresholds
	priv := j.e.privileged()
	r := Result{
		ID:    "R03",
		Title: Text{"계정별 반복 실패·잠금", "Per-account failures and lockouts"},
		Criterion: Text{
			fmt.Sprintf("존재하는 한 계정의 %s 내 로그인 실패 %d회 이상 → 주의 (특수계정 %s: 위험); 계정 잠금 발생 → 주의 (특수계정: 위험)",
				minutesKo(t.AccountWindowMin), t.AccountFailures, strings.Join(j.e.pol.PrivilegedAccounts, ",")),
			fmt.Sprintf("≥%d failed logins for one existing account within %s → notice (privileged %s: finding); any lockout → notice (privileged: finding)",
				t.AccountFailures, minutesEn(t.AccountWindowMin), strings.Join(j.e.pol.PrivilegedAccounts, ",")),
		},
		Maps: []string{"U-03", "개인정보 안전성 확보조치 기준 제5조⑥"},
	}
	keep := func(x rec) bool { return x.kind() == kLoginFail && x.flags()&fInvalid == 0 && x.user != 0 }
	g := j.groupBy(keep, userOf)
	examined := 0
	for _, k := range g.order {
		idx := g.idx[k]
		examined += len(idx)
		peak, lo, hi := j.maxWindow(idx, time.Duration(t.AccountWindowMin)*time.Minute)
		if peak < t.AccountFailures {
			continue
		}
		u := j.s(k.k)
		sev := SevNotice
		if priv[u] {
			sev = SevFinding
		}
		r.Items = append(r.Items, j.item("R03", sev, j.s(k.host), u, idx[lo:hi], Text{
			fmt.Sprintf("계정 %s: 실패 %d회 (%s 내 최대 %d회)", u, len(idx), minutesKo(t.AccountWindowMin), peak),
			fmt.Sprintf("account %s: %d failures (peak %d within %s)", u, len(idx), peak, minutesEn(t.AccountWindowMin)),
		}))
	}
	lg := j.groupBy(func(x rec) bool { return x.kind() == kLockout }, userOf)
	locks := 0
	for _, k := range lg.order {
		idx := lg.idx[k]
		locks += len(idx)
		u := j.s(k.k)
		sev := SevNotice
		if priv[u] {
			sev = SevFinding
		}
		r.Items = append(r.Items, j.item("R03", sev, j.s(k.host), "lock:"+u, idx, Text{
			fmt.Sprintf("계정 %s 잠금 %d회", u, len(idx)),
			fmt.Sprintf("account %s locked %d time(s)", u, len(idx)),
		}))
	}
	r.Examined = examined + locks
	r.Counts = map[string]int{"failures_existing_accounts": examined, "accounts": len(g.order), "lockouts": locks}
	return finish(r)
}

func (e *Engine) privileged() map[string]bool { return setOf(e.pol.PrivilegedAccounts) }

func (j *judge) r04() Result {
	t := j.e.pol.Thresholds
	w := int64(time.Duration(t.SuccessAfterWindowMin) * time.Minute)
	r := Result{
		ID:    "R04",
		Title: Text{"실패 후 성공", "Success after failures"},
		Criterion: Text{
			fmt.Sprintf("같은 IP 또는 같은 계정에서 직전 %d분 내 실패 %d회 이상 후 로그인 성공 → 위험", t.SuccessAfterWindowMin, t.SuccessAfterFailures),
			fmt.Sprintf("a successful login after ≥%d failures from the same IP or for the same account in the previous %d min → finding", t.SuccessAfterFailures, t.SuccessAfterWindowMin),
		},
		Maps: []string{"ISMS-P 2.9.5"},
	}
	fail := func(x rec) bool { return x.kind() == kLoginFail }
	byIP := groupAll(j.e.evs, func(x rec) bool { return fail(x) && x.ip != 0 }, func(x rec) hostKey { return hostKey{j.e.hostOf(x), x.ip} })
	byUser := groupAll(j.e.evs, func(x rec) bool { return fail(x) && x.user != 0 }, func(x rec) hostKey { return hostKey{j.e.hostOf(x), x.user} })
	// before returns the failures of list that precede record i by less than w.
	before := func(list []int32, i int, now int64) []int32 {
		hi, _ := slices.BinarySearch(list, int32(i))
		list = list[:hi]
		lo, _ := slices.BinarySearchFunc(list, now-w, func(k int32, tt int64) int { return cmp.Compare(j.e.evs[k].t, tt) })
		return list[lo:]
	}
	logins := 0
	for i, x := range j.e.evs {
		if x.kind() == kLoginOK && x.flags()&fConsole == 0 {
			logins++
			fi := before(byIP.idx[hostKey{j.e.hostOf(x), x.ip}], i, x.t)
			fu := before(byUser.idx[hostKey{j.e.hostOf(x), x.user}], i, x.t)
			n, ev, by := len(fi), fi, "IP"
			if len(fu) > n {
				n, ev, by = len(fu), fu, "account"
			}
			if n < t.SuccessAfterFailures {
				continue
			}
			u, ip := j.s(x.user), j.s(x.ip)
			refs := append(slices.Clone(ev), int32(i))
			if len(refs) > MaxRefs {
				refs = append(slices.Clone(ev[len(ev)-(MaxRefs-1):]), int32(i))
			}
			it := j.item("R04", SevFinding, j.s(j.e.hostOf(x)), u+"@"+ip, refs, Text{
				fmt.Sprintf("%s 계정이 %s에서 로그인 성공 — 직전 %d분 내 실패 %d회 (기준: %s)", u, ip, t.SuccessAfterWindowMin, n, map[string]string{"IP": "같은 IP", "account": "같은 계정"}[by]),
				fmt.Sprintf("%s logged in from %s after %d failures (same %s) in the previous %d min", u, ip, n, by, t.SuccessAfterWindowMin),
			})
			it.Count = 1
			it.EvidenceTotal = n + 1
			r.Items = append(r.Items, it)
		}
	}
	r.Examined = logins
	r.Counts = map[string]int{"logins": logins, "after_failures": len(r.Items)}
	return finish(mergeSame(r))
}

// mergeSame folds items with the same key into one (counts add up, the first
// item's evidence is kept and completed up to MaxRefs).
func mergeSame(r Result) Result {
	seen := map[string]int{}
	out := r.Items[:0]
	for _, it := range r.Items {
		if i, ok := seen[it.Key]; ok {
			m := &out[i]
			m.Count += it.Count
			m.EvidenceTotal += it.EvidenceTotal
			if it.Last.After(m.Last) {
				m.Last = it.Last
			}
			if it.Severity.rank() > m.Severity.rank() {
				m.Severity = it.Severity
			}
			for _, ref := range it.Evidence {
				if len(m.Evidence) < MaxRefs {
					m.Evidence = append(m.Evidence, ref)
				}
			}
			continue
		}
		seen[it.Key] = len(out)
		out = append(out, it)
	}
	r.Items = out
	return r
}

func (j *judge) r05() Result {
	r := Result{
		ID:    "R05",
		Title: Text{"root 직접 접속", "Root direct login"},
		Criterion: Text{
			"원격 root 로그인 성공 → 위험; 콘솔 root 로그인 → 주의; root 로그인 실패·거부는 건수로 집계",
			"remote root login → finding; console root login → notice; root failures and refusals are counted",
		},
		Maps: []string{"U-01"},
	}
	fails, refused := 0, 0
	g := newGroups[hostKey]()
	for i, x := range j.e.evs {
		if j.s(x.user) != "root" && x.kind() != kRootRefused {
			continue
		}
		switch x.kind() {
		case kLoginFail:
			fails++
		case kRootRefused:
			refused++
		case kLoginOK:
			g.add(hostKey{j.e.hostOf(x), x.ip}, i)
		}
	}
	for _, k := range g.order {
		remote, console := j.split(g.idx[k], func(x rec) bool { return x.flags()&fConsole == 0 && x.ip != 0 })
		if len(remote) > 0 {
			ip := j.s(k.k)
			r.Items = append(r.Items, j.item("R05", SevFinding, j.s(k.host), "root@"+ip, remote, Text{
				fmt.Sprintf("root 원격 로그인 %d회, 접속지 %s", len(remote), ip),
				fmt.Sprintf("%d remote root login(s) from %s", len(remote), ip),
			}))
		}
		if len(console) > 0 {
			r.Items = append(r.Items, j.item("R05", SevNotice, j.s(k.host), "root@console", console, Text{
				fmt.Sprintf("root 콘솔 로그인 %d회", len(console)),
				fmt.Sprintf("%d console root login(s)", len(console)),
			}))
		}
	}
	r.Counts = map[string]int{"root_failures": fails, "root_refused": refused}
	r = mergeSame(r)
	logins := 0
	for _, it := range r.Items {
		logins += it.Count
	}
	r.Counts["root_logins"] = logins
	r.Examined = logins + fails + refused
	return finish(r)
}

func (j *judge) r06() Result {
	p := j.e.pol
	allowed := setOf(p.AllowedSuUsers)
	known := len(allowed) > 0
	r := Result{
		ID:    "R06",
		Title: Text{"su 사용·실패", "su usage and failures"},
		Criterion: Text{
			fmt.Sprintf("su 허용 그룹(%s) 구성원(%s)이 아닌 사용자의 root 전환 성공 → 위험; su 실패 → 주의; 모든 su 사용 목록화", p.AllowedSuGroup, strings.Join(p.AllowedSuUsers, ",")),
			fmt.Sprintf("su to root by a user outside the allowed group %s (members: %s) → finding; any su failure → notice; all su use listed", p.AllowedSuGroup, strings.Join(p.AllowedSuUsers, ",")),
		},
		Maps: []string{"U-45", "KISA U-43 Step 1 (sulog)"},
	}
	type k3 struct{ host, user, target uint32 }
	g := newGroups[k3]()
	for i, x := range j.e.evs {
		if x.kind() == kSuOK || x.kind() == kSuFail {
			g.add(k3{j.e.hostOf(x), x.user, j.target(x)}, i)
		}
	}
	nOK, nFail := 0, 0
	for _, k := range g.order {
		u, tg := j.s(k.user), j.s(k.target)
		if tg == "" {
			tg = "root"
		}
		ok, fail := j.split(g.idx[k], func(x rec) bool { return x.kind() == kSuOK })
		if len(ok) > 0 {
			nOK += len(ok)
			sev := SevInfo
			ko := fmt.Sprintf("%s → %s 전환 %d회", u, tg, len(ok))
			en := fmt.Sprintf("%s → %s: %d switch(es)", u, tg, len(ok))
			if tg == "root" {
				switch {
				case !known:
					sev = SevNotice
					ko += " (허용 그룹 구성원이 정책에 없어 확인 필요)"
					en += " (allowed su users not listed in the policy: verify)"
				case !allowed[u]:
					sev = SevFinding
					ko += fmt.Sprintf(" — %s 그룹 구성원 아님", p.AllowedSuGroup)
					en += fmt.Sprintf(" — not a member of %s", p.AllowedSuGroup)
				}
			}
			r.Items = append(r.Items, j.item("R06", sev, j.s(k.host), u+"->"+tg, ok, Text{ko, en}))
		}
		if len(fail) > 0 {
			nFail += len(fail)
			r.Items = append(r.Items, j.item("R06", SevNotice, j.s(k.host), "fail:"+u+"->"+tg, fail, Text{
				fmt.Sprintf("%s → %s 전환 실패 %d회", u, tg, len(fail)),
				fmt.Sprintf("%s → %s: %d failed su", u, tg, len(fail)),
			}))
		}
	}
	r.Examined = nOK + nFail
	r.Counts = map[string]int{"su_success": nOK, "su_failure": nFail}
	return finish(r)
}

func (j *judge) r07() Result {
	p := j.e.pol
	admins := setOf(p.ApprovedAdminAccounts)
	r := Result{
		ID:    "R07",
		Title: Text{"sudo 거부·고위험 명령", "sudo denials and high-risk commands"},
		Criterion: Text{
			"sudoers 미등록 사용자(NOT in sudoers) → 위험; 암호 오류·허용되지 않은 명령 → 주의; 셸 상승·로그 삭제 등 고위험 명령 → 주의; 승인된 관리자 외 sudo 사용 → 주의 (목록이 있을 때)",
			"user NOT in sudoers → finding; incorrect password or command not allowed → notice; shell escalation, log wiping and other high-risk commands → notice; sudo by accounts not in approved_admin_accounts → notice (when listed)",
		},
		Maps: []string{"ISMS-P 2.5.5"},
	}
	type k3 struct {
		host, user, what uint32
		sev              Severity
	}
	g := newGroups[k3]()
	add := g.add
	nOK, nDenied, nAuth, nRisky := 0, 0, 0, 0
	for i, x := range j.e.evs {
		switch x.kind() {
		case kSudoOK:
			cmd := j.s(j.arg(x))
			if s := j.e.suspiciousScan(cmd); s != "" {
				nRisky++
				add(k3{j.e.hostOf(x), x.user, j.arg(x), SevNotice}, i)
			} else if len(admins) > 0 && !admins[j.s(x.user)] {
				add(k3{j.e.hostOf(x), x.user, j.idUnapproved, SevNotice}, i)
			}
		case kSudoDenied:
			nDenied++
			sev := SevNotice
			if j.s(j.arg(x)) == "not_in_sudoers" {
				sev = SevFinding
			}
			add(k3{j.e.hostOf(x), x.user, j.arg(x), sev}, i)
		case kSudoAuthFail:
			nAuth++
			add(k3{j.e.hostOf(x), x.user, j.idIncorrectPassword, SevNotice}, i)
		}
	}
	for _, k := range g.order {
		idx := g.idx[k]
		u, what := j.s(k.user), j.s(k.what)
		var sum Text
		switch what {
		case "not_in_sudoers":
			sum = Text{fmt.Sprintf("%s: sudoers 미등록 사용자의 sudo 시도 %d회", u, len(idx)), fmt.Sprintf("%s: %d sudo attempt(s) while NOT in sudoers", u, len(idx))}
		case "command_not_allowed":
			sum = Text{fmt.Sprintf("%s: 허용되지 않은 명령 %d회", u, len(idx)), fmt.Sprintf("%s: %d command(s) not allowed", u, len(idx))}
		case "incorrect_password":
			sum = Text{fmt.Sprintf("%s: sudo 암호 오류 %d건", u, len(idx)), fmt.Sprintf("%s: %d incorrect sudo password event(s)", u, len(idx))}
		case "unapproved":
			sum = Text{fmt.Sprintf("%s: 승인된 관리자 목록에 없는 계정의 sudo 사용 %d회", u, len(idx)), fmt.Sprintf("%s: %d sudo command(s) by an account not in approved_admin_accounts", u, len(idx))}
		default:
			if k.sev == SevNotice && j.e.evs[idx[0]].kind() == kSudoOK {
				sum = Text{fmt.Sprintf("%s: 고위험 명령 %d회: %s", u, len(idx), what), fmt.Sprintf("%s: high-risk command %d time(s): %s", u, len(idx), what)}
			} else {
				sum = Text{fmt.Sprintf("%s: sudo 거부 %d회 (%s)", u, len(idx), what), fmt.Sprintf("%s: %d sudo denial(s) (%s)", u, len(idx), what)}
			}
		}
		r.Items = append(r.Items, j.item("R07", k.sev, j.s(k.host), u+"|"+what, idx, sum))
	}
	nOK = j.e.sudoCount
	r.Examined = nOK + nDenied + nAuth
	r.Counts = map[string]int{"sudo_commands": nOK, "sudo_denied": nDenied, "sudo_auth_failures": nAuth, "high_risk_commands": nRisky}
	return finish(r)
}

var acctTitles = map[string]Text{
	"account.useradd":          {"계정 생성", "user added"},
	"account.userdel":          {"계정 삭제", "user deleted"},
	"account.usermod":          {"계정 변경", "user changed"},
	"account.groupadd":         {"그룹 생성", "group added"},
	"account.groupdel":         {"그룹 삭제", "group deleted"},
	"account.group_member_add": {"그룹 구성원 추가", "member added to group"},
	"account.group_member_del": {"그룹 구성원 제거", "member removed from group"},
	"account.passwd_change":    {"비밀번호 변경", "password changed"},
	"pam.password_changed":     {"비밀번호 변경", "password changed"},
}

func (j *judge) r08() Result {
	p := j.e.pol
	privG := setOf(p.PrivilegedGroups)
	ticket := p.TicketRE()
	r := Result{
		ID:    "R08",
		Title: Text{"계정·권한 변경", "Account and privilege changes"},
		Criterion: Text{
			fmt.Sprintf("모든 계정·그룹·비밀번호 변경 목록화; UID 0 생성·변경 → 위험; 관리자 그룹(%s) 구성원 추가 → 위험 (변경 요청 번호가 있으면 주의)", strings.Join(p.PrivilegedGroups, ",")),
			fmt.Sprintf("every account, group and password change listed; UID 0 created or set → finding; member added to a privileged group (%s) → finding (notice with a change ticket id)", strings.Join(p.PrivilegedGroups, ",")),
		},
		Maps: []string{"U-44", "U-50", "ISMS-P 2.5.6", "개인정보 안전성 확보조치 기준 제5조③"},
	}
	n := 0
	for i, x := range j.e.evs {
		if x.kind() != kAcct {
			continue
		}
		n++
		k, u, grp, det := j.s(j.aux(x)), j.s(x.user), j.s(j.arg(x)), j.s(j.target(x))
		sev := SevInfo
		why := Text{}
		lower := strings.ToLower(det)
		if (k == "account.useradd" && (strings.Contains(lower, "uid=0 ") || strings.HasSuffix(lower, "uid=0") || strings.Contains(lower, "uid=0,"))) ||
			(k == "account.usermod" && strings.Contains(lower, "uid") && (strings.HasSuffix(lower, "->0") || strings.HasSuffix(lower, "to '0'"))) {
			sev = SevFinding
			why = Text{" — UID 0 (root 권한)", " — UID 0 (root privileges)"}
		}
		if k == "account.group_member_add" && privG[grp] {
			sev = SevFinding
			why = Text{" — 관리자 그룹", " — privileged group"}
			if ticket != nil && ticket.MatchString(det) {
				sev = SevNotice
				why = Text{" — 관리자 그룹 (변경 요청 번호 있음)", " — privileged group (change ticket present)"}
			}
		}
		title := acctTitles[k]
		if title.Ko == "" {
			title = Text{k, k}
		}
		subj := u
		switch {
		case u == "":
			subj = grp
		case grp != "":
			subj += "@" + grp
		}
		ko := fmt.Sprintf("%s: %s", title.Ko, subj)
		en := fmt.Sprintf("%s: %s", title.En, subj)
		if det != "" {
			ko += " (" + det + ")"
			en += " (" + det + ")"
		}
		it := j.item("R08", sev, j.s(j.e.hostOf(x)), k+":"+subj, []int32{int32(i)}, Text{ko + why.Ko, en + why.En})
		r.Items = append(r.Items, it)
	}
	r.Examined = n
	r.Counts = map[string]int{"changes": n}
	return finish(mergeSame(r))
}

func (j *judge) r09() Result {
	p := j.e.pol
	r := Result{
		ID:    "R09",
		Title: Text{"업무시간 외 접속", "Off-hours logins"},
		Criterion: Text{
			fmt.Sprintf("업무시간(%s %s–%s, %s, 공휴일 %d일 제외) 외 로그인 성공 → 주의", p.Timezone, p.BusinessHours.Start, p.BusinessHours.End, strings.Join(p.BusinessHours.Weekdays, " "), len(p.Holidays)),
			fmt.Sprintf("successful login outside business hours (%s %s–%s, %s, %d holidays excluded) → notice", p.Timezone, p.BusinessHours.Start, p.BusinessHours.End, strings.Join(p.BusinessHours.Weekdays, " "), len(p.Holidays)),
		},
		Maps: []string{"ISMS-P 2.9.5"},
	}
	g := newGroups[loginKey]()
	reasons := map[loginKey]map[string]int{}
	logins := 0
	for i, x := range j.e.evs {
		if x.kind() != kLoginOK {
			continue
		}
		logins++
		off, why := j.e.cal.OffHours(time.Unix(0, x.t))
		if !off {
			continue
		}
		k := loginKey{j.e.hostOf(x), x.user, x.ip}
		if reasons[k] == nil {
			reasons[k] = map[string]int{}
		}
		g.add(k, i)
		if strings.HasPrefix(why, "holiday:") {
			why = "holiday"
		}
		reasons[k][why]++
	}
	off := 0
	for _, k := range g.order {
		idx := g.idx[k]
		off += len(idx)
		u, ip := j.s(k.user), j.s(k.ip)
		if ip == "" {
			ip = "console"
		}
		rs := reasons[k]
		r.Items = append(r.Items, j.item("R09", SevNotice, j.s(k.host), u+"@"+ip, idx, Text{
			fmt.Sprintf("%s (%s): 업무시간 외 로그인 %d회 (야간 %d, 주말 %d, 공휴일 %d)", u, ip, len(idx), rs["night"], rs["weekend"], rs["holiday"]),
			fmt.Sprintf("%s (%s): %d off-hours login(s) (night %d, weekend %d, holiday %d)", u, ip, len(idx), rs["night"], rs["weekend"], rs["holiday"]),
		}))
	}
	r.Examined = logins
	r.Counts = map[string]int{"logins": logins, "off_hours_logins": off}
	return finish(r)
}

func (j *judge) r10() Result {
	p := j.e.pol
	t := p.Thresholds
	r := Result{
		ID:    "R10",
		Title: Text{"로그 무결성·누락", "Log integrity and gaps"},
		Criterion: Text{
			fmt.Sprintf("수집 대상(%s) 누락 → 위험; 인증 로그 %d시간·시스템 로그 %d시간 초과 무기록 → 주의 (로깅 데몬 중지와 겹치면 위험); 수집률 %d%% 미만 → 주의; 시각 역행·로그 유실 통지 → 주의; 로그 삭제 명령 → 위험",
				strings.Join(p.ExpectedSources, ","), t.GapAuthHours, t.GapSyslogHours, t.MinCoveragePercent),
			fmt.Sprintf("expected source (%s) missing → finding; auth log silent > %d h or system log > %d h → notice (finding if it overlaps a logging daemon stop); coverage < %d%% → notice; time going backwards, dropped-message notices → notice; log-wiping commands → finding",
				strings.Join(p.ExpectedSources, ","), t.GapAuthHours, t.GapSyslogHours, t.MinCoveragePercent),
		},
		Maps: []string{"ISMS-P 2.9.4", "U-72"},
	}
	cov := j.e.Coverage()
	classes := map[string]bool{}
	for _, c := range cov {
		if c.Records > 0 || c.OutOfPeriod > 0 {
			classes[c.Class] = true
		}
	}
	for _, want := range p.ExpectedSources {
		if !classes[want] {
			r.Items = append(r.Items, note("R10", SevFinding, "missing:"+want, "missing:"+want,
				Text{fmt.Sprintf("수집 대상 로그 '%s' 없음", want), fmt.Sprintf("expected log '%s' not found", want)}))
		}
	}
	// Logging daemon stops, to raise overlapping gaps.
	var stops []int64
	logging := map[string]bool{"rsyslog": true, "syslog": true, "systemd-journald": true, "auditd": true, "amazon-cloudwatch-agent": true, "logwarden": true}
	for _, x := range j.e.evs {
		if x.kind() == kServiceStop && logging[serviceName(j.s(j.arg(x)), j.s(j.aux(x)))] {
			stops = append(stops, x.t)
		}
	}
	gaps := 0
	for _, c := range cov {
		for _, g := range c.Gaps {
			gaps++
			sev := SevNotice
			for _, s := range stops {
				if s >= g.From.Add(-2*time.Hour).UnixNano() && s <= g.To.UnixNano() {
					sev = SevFinding
				}
			}
			from, to := g.From.In(p.Location()), g.To.In(p.Location())
			it := note("R10", sev, "gap:"+c.Source+"@"+g.From.UTC().Format(time.RFC3339), c.Source, Text{
				fmt.Sprintf("%s: %d시간 무기록 (%s ~ %s)", c.Source, g.Hours, from.Format("01-02 15:04"), to.Format("01-02 15:04")),
				fmt.Sprintf("%s: silent for %d h (%s – %s)", c.Source, g.Hours, from.Format("01-02 15:04"), to.Format("01-02 15:04")),
			})
			it.First, it.Last, it.Count = from, to, g.Hours
			r.Items = append(r.Items, it)
		}
		if c.Records > 0 && c.CoveragePermille < t.MinCoveragePercent*10 && (c.Class == "auth" || c.Class == "syslog" || c.Class == "journal") {
			r.Items = append(r.Items, note("R10", SevNotice, "coverage:"+c.Source, c.Source, Text{
				fmt.Sprintf("%s: 수집률 %d.%d%% (기준 %d%%)", c.Source, c.CoveragePermille/10, c.CoveragePermille%10, t.MinCoveragePercent),
				fmt.Sprintf("%s: coverage %d.%d%% (minimum %d%%)", c.Source, c.CoveragePermille/10, c.CoveragePermille%10, t.MinCoveragePercent),
			}))
		}
		if c.NonMonotonic > 0 {
			it := note("R10", SevNotice, "nonmonotonic:"+c.Source, c.Source, Text{
				fmt.Sprintf("%s: 시각 역행 %d회 (편집·삽입 의심)", c.Source, c.NonMonotonic),
				fmt.Sprintf("%s: time went backwards %d time(s) (possible edit or insertion)", c.Source, c.NonMonotonic),
			})
			it.Count = int(c.NonMonotonic)
			r.Items = append(r.Items, it)
		}
	}
	for _, is := range j.e.issues {
		r.Items = append(r.Items, note("R10", is.Severity, "integrity:"+is.Source, is.Source, is.Summary))
	}
	if n := j.e.overflow; n > 0 {
		r.Items = append(r.Items, note("R10", SevNotice, "overflow", "", Text{
			fmt.Sprintf("기록 %d건은 점검 한도(표 %d건, 부가 정보 %d건)를 넘어 판정에서 제외됨", n, maxEvents, maxV),
			fmt.Sprintf("%d records beyond the engine's limits (%d events, %d with details) were not judged", n, maxEvents, maxV),
		}))
	}
	drops, wipes := 0, 0
	var dropIdx []int32
	for i, x := range j.e.evs {
		switch x.kind() {
		case kLogDrop:
			drops++
			dropIdx = append(dropIdx, int32(i))
		case kSudoOK, kCronCmd:
			cmd := j.s(j.arg(x))
			if isLogWipe(cmd) {
				wipes++
				r.Items = append(r.Items, j.item("R10", SevFinding, j.s(j.e.hostOf(x)), "wipe:"+j.s(x.user), []int32{int32(i)}, Text{
					fmt.Sprintf("%s: 로그 삭제·변조 명령: %s", j.s(x.user), cmd),
					fmt.Sprintf("%s: log wiping command: %s", j.s(x.user), cmd),
				}))
			}
		}
	}
	if len(dropIdx) > 0 {
		r.Items = append(r.Items, j.item("R10", SevNotice, j.s(j.e.hostOf(j.e.evs[dropIdx[0]])), "dropped", dropIdx, Text{
			fmt.Sprintf("로그 유실·속도 제한 통지 %d건", len(dropIdx)),
			fmt.Sprintf("%d dropped-message / rate-limit notice(s)", len(dropIdx)),
		}))
	}
	r.Examined = len(cov)
	r.Counts = map[string]int{"sources": len(cov), "gaps": gaps, "dropped_notices": drops, "log_wipe_commands": wipes}
	return finish(mergeSame(r))
}

// isLogWipe reports commands that delete or empty logs. Paths are
// case-sensitive, so no lowering (and no allocation) is needed.
func isLogWipe(c string) bool {
	if strings.Contains(c, "history -c") {
		return true
	}
	if !strings.Contains(c, "/var/log") && !strings.Contains(c, "wtmp") && !strings.Contains(c, "btmp") {
		return false
	}
	for _, w := range []string{"rm ", "/rm ", "truncate", "shred", "> /var/log", ">/var/log", "dd ", "cp /dev/null", "unlink"} {
		if strings.Contains(c, w) {
			return true
		}
	}
	return false
}

// serviceName extracts a daemon name from a systemd unit/description or program.
func serviceName(detail, program string) string {
	d := strings.ToLower(detail)
	for _, n := range []string{"amazon-cloudwatch-agent", "logwarden", "systemd-journald", "rsyslog", "auditd", "crond", "cron", "sshd", "ssh", "syslog"} {
		if strings.Contains(d, n) {
			return n
		}
	}
	if program == "sshd" || program == "sshd-session" {
		return "sshd"
	}
	for _, s := range serviceDescriptions {
		if strings.Contains(d, s.phrase) {
			return s.name
		}
	}
	return d
}

// serviceDescriptions names daemons from their systemd unit descriptions.
var serviceDescriptions = []struct{ phrase, name string }{
	{"openbsd secure shell", "sshd"}, {"openssh", "sshd"},
	{"system logging", "rsyslog"}, {"security auditing", "auditd"},
	{"regular background program", "cron"}, {"command scheduler", "cron"},
}

func (j *judge) r11() Result {
	p := j.e.pol
	sec := setOf(p.SecurityServices)
	r := Result{
		ID:    "R11",
		Title: Text{"시스템·서비스 이벤트", "System and service events"},
		Criterion: Text{
			fmt.Sprintf("재부팅·종료·서비스 중지/시작 목록화; 로깅·보안 데몬(%s) 중지 → 위험 (종료·재부팅 직전 10분 이내는 주의)", strings.Join(p.SecurityServices, ",")),
			fmt.Sprintf("reboots, shutdowns, service stops/starts listed; stop of a logging or security daemon (%s) → finding (notice within 10 min before a shutdown or boot)", strings.Join(p.SecurityServices, ",")),
		},
		Maps: []string{"U-43", "ISMS-P 2.9.4"},
	}
	var lifecycle []int64
	for _, x := range j.e.evs {
		if x.kind() == kBoot || x.kind() == kShutdown {
			lifecycle = append(lifecycle, x.t)
		}
	}
	nearLifecycle := func(t int64) bool {
		for _, l := range lifecycle {
			if l >= t && l-t <= int64(10*time.Minute) {
				return true
			}
		}
		return false
	}
	type k2 struct {
		host uint32
		kind kind
		name string
		sev  Severity
	}
	g := newGroups[k2]()
	counts := map[string]int{}
	for i, x := range j.e.evs {
		var name string
		sev := SevInfo
		switch x.kind() {
		case kBoot:
			counts["boots"]++
			name = "boot"
		case kShutdown:
			counts["shutdowns"]++
			name = "shutdown"
		case kServiceStop:
			counts["service_stops"]++
			name = serviceName(j.s(j.arg(x)), j.s(j.aux(x)))
			if !sec[name] {
				continue
			}
			sev = SevFinding
			if nearLifecycle(x.t) {
				sev = SevNotice
			}
		case kServiceFail:
			counts["service_failures"]++
			name = serviceName(j.s(j.arg(x)), j.s(j.aux(x)))
			if !sec[name] {
				continue
			}
			sev = SevNotice
		case kServiceStart:
			counts["service_starts"]++
			continue
		default:
			continue
		}
		g.add(k2{j.e.hostOf(x), x.kind(), name, sev}, i)
	}
	for _, k := range g.order {
		idx := g.idx[k]
		var sum Text
		switch k.kind {
		case kBoot:
			sum = Text{fmt.Sprintf("시스템 부팅 %d회", len(idx)), fmt.Sprintf("%d system boot(s)", len(idx))}
		case kShutdown:
			sum = Text{fmt.Sprintf("시스템 종료 %d회", len(idx)), fmt.Sprintf("%d system shutdown(s)", len(idx))}
		case kServiceStop:
			sum = Text{fmt.Sprintf("보안·로깅 데몬 %s 중지 %d회", k.name, len(idx)), fmt.Sprintf("security/logging daemon %s stopped %d time(s)", k.name, len(idx))}
			if k.sev == SevNotice {
				sum.Ko += " (종료·재부팅 직전)"
				sum.En += " (just before a shutdown or boot)"
			}
		case kServiceFail:
			sum = Text{fmt.Sprintf("보안·로깅 데몬 %s 실패 %d회", k.name, len(idx)), fmt.Sprintf("security/logging daemon %s failed %d time(s)", k.name, len(idx))}
		}
		r.Items = append(r.Items, j.item("R11", k.sev, j.s(k.host), k.name+"|"+string(k.sev), idx, sum))
	}
	for _, n := range []string{"boots", "shutdowns", "service_stops", "service_starts", "service_failures"} {
		counts[n] += 0
		r.Examined += counts[n]
	}
	r.Counts = counts
	return finish(r)
}

func (j *judge) r12() Result {
	p := j.e.pol
	r := Result{
		ID:    "R12",
		Title: Text{"우회경로 접속", "Login from an unapproved network"},
		Criterion: Text{
			fmt.Sprintf("승인된 관리 접속지(%s) 밖에서의 원격 로그인 성공 → 위험", strings.Join(p.ApprovedAdminCIDRs, ", ")),
			fmt.Sprintf("remote login from outside the approved admin networks (%s) → finding", strings.Join(p.ApprovedAdminCIDRs, ", ")),
		},
		Maps: []string{"ISMS-P 2.9.5", "ISMS-P 2.6.x"},
	}
	if len(j.e.nets) == 0 {
		return notChecked(r, Text{"정책에 approved_admin_cidrs가 없어 점검하지 않음", "not checked: the policy lists no approved_admin_cidrs"})
	}
	g, n := j.remoteLogins(func(x rec) bool { return !j.e.nets.Contains(j.s(x.ip)) })
	for _, k := range g.order {
		idx := g.idx[k]
		u, ip := j.s(k.user), j.s(k.ip)
		r.Items = append(r.Items, j.item("R12", SevFinding, j.s(k.host), u+"@"+ip, idx, Text{
			fmt.Sprintf("%s: 승인되지 않은 접속지 %s에서 로그인 %d회", u, ip, len(idx)),
			fmt.Sprintf("%s: %d login(s) from unapproved address %s", u, len(idx), ip),
		}))
	}
	r.Examined = n
	r.Counts = map[string]int{"remote_logins": n}
	return finish(r)
}

// remoteLogins groups the remote logins (with a source address) that flag
// accepts by account and address; n counts every remote login.
func (j *judge) remoteLogins(flag func(x rec) bool) (g *groups[loginKey], n int) {
	g = newGroups[loginKey]()
	for i, x := range j.e.evs {
		if x.kind() != kLoginOK || x.ip == 0 {
			continue
		}
		n++
		if flag(x) {
			g.add(loginKey{j.e.hostOf(x), x.user, x.ip}, i)
		}
	}
	return g, n
}

func (j *judge) r13() Result {
	r := Result{
		ID:        "R13",
		Title:     Text{"신규 접속지", "New source IP per account"},
		Criterion: Text{"이전 검토 기준선(baseline)에 없던 접속지에서의 계정 로그인 → 주의", "login to an account from an IP not in the previous review's baseline → notice"},
		Maps:      []string{"ISMS-P 2.9.5"},
	}
	b := j.e.baseline
	if b == nil || len(b.UserIPs) == 0 {
		return notChecked(r, Text{"이전 기간 보고서(기준선)가 없어 점검하지 않음; 이번 기간 접속지가 다음 기간의 기준선이 됨", "not checked: no previous report (baseline); this period's sources become the next baseline"})
	}
	known := map[string]map[string]bool{}
	for u, ips := range b.UserIPs {
		known[u] = map[string]bool{}
		for _, ip := range ips {
			known[u][ip] = true
		}
	}
	g, n := j.remoteLogins(func(x rec) bool { return !known[j.s(x.user)][j.s(x.ip)] })
	for _, k := range g.order {
		idx := g.idx[k]
		u, ip := j.s(k.user), j.s(k.ip)
		r.Items = append(r.Items, j.item("R13", SevNotice, j.s(k.host), u+"@"+ip, idx, Text{
			fmt.Sprintf("%s: 처음 보는 접속지 %s (%d회)", u, ip, len(idx)),
			fmt.Sprintf("%s: first login from %s (%d time(s))", u, ip, len(idx)),
		}))
	}
	r.Examined = n
	r.Counts = map[string]int{"remote_logins": n, "new_sources": len(g.order)}
	return finish(r)
}

func (j *judge) r14() Result {
	days := j.e.pol.Thresholds.DormantDays
	r := Result{
		ID:    "R14",
		Title: Text{"장기 미사용 계정", "Dormant account activity"},
		Criterion: Text{
			fmt.Sprintf("직전 로그인이 %d일 이상 지난 계정의 로그인 → 주의; lastlog 기준 %d일 이상 미사용 계정 목록", days, days),
			fmt.Sprintf("login by an account whose previous login is more than %d days old → notice; accounts idle more than %d days (lastlog) listed", days, days),
		},
		Maps: []string{"U-49", "ISMS-P 2.5.x"},
	}
	last := map[string]time.Time{}
	if j.e.baseline != nil {
		for u, t := range j.e.baseline.LastLogin {
			last[u] = t
		}
	}
	if len(last) == 0 && len(j.e.lastlog) == 0 {
		return notChecked(r, Text{"lastlog도 이전 기간 기준선도 없어 점검하지 않음", "not checked: neither lastlog nor a previous baseline is available"})
	}
	limit := time.Duration(days) * 24 * time.Hour
	n := 0
	seen := map[string]bool{}
	for i, x := range j.e.evs {
		if x.kind() != kLoginOK {
			continue
		}
		n++
		u := j.s(x.user)
		t := time.Unix(0, x.t)
		if prev, ok := last[u]; ok && !seen[u] && t.Sub(prev) > limit {
			r.Items = append(r.Items, j.item("R14", SevNotice, j.s(j.e.hostOf(x)), u, []int32{int32(i)}, Text{
				fmt.Sprintf("%s: %d일 만의 로그인 (직전 %s)", u, int(t.Sub(prev).Hours()/24), prev.In(j.e.pol.Location()).Format("2006-01-02")),
				fmt.Sprintf("%s: first login in %d days (previous %s)", u, int(t.Sub(prev).Hours()/24), prev.In(j.e.pol.Location()).Format("2006-01-02")),
			}))
		}
		seen[u] = true
		if t.After(last[u]) {
			last[u] = t
		}
	}
	idle := 0
	users := make([]string, 0, len(j.e.lastlog))
	for u := range j.e.lastlog {
		users = append(users, u)
	}
	slices.Sort(users)
	for _, u := range users {
		t := j.e.lastlog[u]
		if j.e.end.Sub(t) > limit {
			idle++
			at := t.In(j.e.pol.Location())
			it := note("R14", SevInfo, "idle:"+u, u, Text{
				fmt.Sprintf("%s: 마지막 로그인 %s (%d일 이상 미사용)", u, at.Format("2006-01-02"), days),
				fmt.Sprintf("%s: last login %s (idle more than %d days)", u, at.Format("2006-01-02"), days),
			})
			it.First, it.Last = at, at
			r.Items = append(r.Items, it)
		}
	}
	r.Examined = n
	r.Counts = map[string]int{"logins": n, "idle_accounts": idle}
	return finish(r)
}

func (j *judge) r15() Result {
	r := Result{
		ID:    "R15",
		Title: Text{"cron/at 변경", "cron changes"},
		Criterion: Text{
			"crontab 편집·교체·삭제 → 주의; /tmp·/dev/shm 실행, curl·wget·base64 -d·nc 포함 cron 명령 → 위험",
			"crontab edit, replace or delete → notice; cron commands running from /tmp or /dev/shm or containing curl, wget, base64 -d, nc → finding",
		},
		Maps: []string{"U-22"},
	}
	type k2 struct{ host, user, arg uint32 }
	g := newGroups[k2]()
	edits, bad := 0, 0
	for i, x := range j.e.evs {
		switch x.kind() {
		case kCronEdit:
			v := j.s(j.arg(x))
			if v == "LIST" || v == "END EDIT" || v == "BEGIN EDIT" || v == "RELOAD" {
				continue
			}
			edits++
		case kCronCmd:
			bad++
		default:
			continue
		}
		g.add(k2{j.e.hostOf(x), x.user, j.arg(x)}, i)
	}
	for _, k := range g.order {
		idx := g.idx[k]
		u, a := j.s(k.user), j.s(k.arg)
		if j.e.evs[idx[0]].kind() == kCronCmd {
			r.Items = append(r.Items, j.item("R15", SevFinding, j.s(k.host), u+"|cmd", idx, Text{
				fmt.Sprintf("%s의 cron 고위험 명령 %d회: %s", u, len(idx), a),
				fmt.Sprintf("high-risk cron command of %s, %d time(s): %s", u, len(idx), a),
			}))
			continue
		}
		r.Items = append(r.Items, j.item("R15", SevNotice, j.s(k.host), u+"|"+a, idx, Text{
			fmt.Sprintf("%s의 crontab %s %d회", u, a, len(idx)),
			fmt.Sprintf("crontab of %s: %s %d time(s)", u, a, len(idx)),
		}))
	}
	r.Examined = edits + j.e.cronCmds
	r.Counts = map[string]int{"crontab_changes": edits, "cron_commands": j.e.cronCmds, "high_risk_cron_commands": bad}
	return finish(r)
}

func (j *judge) r16() Result {
	r := Result{
		ID:    "R16",
		Title: Text{"시각 변경", "Clock changes"},
		Criterion: Text{
			fmt.Sprintf("시스템 시각 변경(systemd Time has been changed, wtmp NEW_TIME/OLD_TIME, chronyd 보정) → 주의 (허용 폭 %d초)", j.e.pol.Thresholds.ClockStepSeconds),
			fmt.Sprintf("system clock changed (systemd, wtmp NEW_TIME/OLD_TIME, chronyd step) → notice (allowed step %d s)", j.e.pol.Thresholds.ClockStepSeconds),
		},
		Maps: []string{"ISMS-P 2.9.6"},
	}
	g := newGroups[uint32]()
	for i, x := range j.e.evs {
		if x.kind() == kClock {
			g.add(j.e.hostOf(x), i)
		}
	}
	n := 0
	for _, h := range g.order {
		idx := g.idx[h]
		n += len(idx)
		r.Items = append(r.Items, j.item("R16", SevNotice, j.s(h), "clock", idx, Text{
			fmt.Sprintf("시각 변경 기록 %d건", len(idx)), fmt.Sprintf("%d clock change record(s)", len(idx)),
		}))
	}
	r.Examined = n
	r.Counts = map[string]int{"clock_changes": n}
	return finish(r)
}

func (j *judge) r17() Result {
	t := j.e.pol.Thresholds
	r := Result{
		ID:    "R17",
		Title: Text{"공유계정·동시접속·장시간 세션", "Shared accounts, concurrent and long sessions"},
		Criterion: Text{
			fmt.Sprintf("같은 계정이 서로 다른 IP 2곳 이상에서 동시에 접속 → 주의; %d시간 초과 세션 → 주의 (sshd 접속·종료 기록 기준)", t.SessionMaxHours),
			fmt.Sprintf("one account logged in from ≥2 IPs at the same time → notice; sessions longer than %d h → notice (from sshd login and close records)", t.SessionMaxHours),
		},
		Maps: []string{"ISMS-P 2.5.1", "U-54"},
	}
	// A session is its login and close records (close -1 if not seen);
	// user, address and host are the login's. Millions of logins are held,
	// so it is two int32s and the slice is sized before it is filled.
	type sess struct{ open, close int32 }
	type pk struct {
		host uint32
		pid  int32
	}
	isOpen := func(x rec) bool {
		return x.kind() == kLoginOK && x.flags()&fSecondary == 0 && x.ip != 0 && pidOf(x) != 0
	}
	n := 0
	for _, x := range j.e.evs {
		if isOpen(x) {
			n++
		}
	}
	open := map[pk]int{}
	ss := make([]sess, 0, n)
	for i, x := range j.e.evs {
		switch {
		case isOpen(x):
			open[pk{j.e.hostOf(x), pidOf(x)}] = len(ss)
			ss = append(ss, sess{open: int32(i), close: -1})
		case x.kind() == kSessionClose && pidOf(x) != 0:
			if si, ok := open[pk{j.e.hostOf(x), pidOf(x)}]; ok {
				ss[si].close = int32(i)
				delete(open, pk{j.e.hostOf(x), pidOf(x)})
			}
		}
	}
	login := func(s sess) rec { return j.e.evs[s.open] }
	endT := j.e.end.UnixNano()
	closeT := func(s sess) int64 {
		if s.close < 0 {
			return endT
		}
		return j.e.evs[s.close].t
	}
	long := 0
	for _, s := range ss {
		if s.close < 0 {
			continue // an unclosed session's length is unknown
		}
		if d := time.Duration(closeT(s) - login(s).t); d > time.Duration(t.SessionMaxHours)*time.Hour {
			long++
			l := login(s)
			u := j.s(l.user)
			r.Items = append(r.Items, j.item("R17", SevNotice, j.s(j.e.hostOf(l)), "long:"+u+"@"+j.s(l.ip), []int32{s.open, s.close}, Text{
				fmt.Sprintf("%s (%s): %.1f시간 세션", u, j.s(l.ip), d.Hours()),
				fmt.Sprintf("%s (%s): session of %.1f h", u, j.s(l.ip), d.Hours()),
			}))
		}
	}
	conc := 0
	for a := 0; a < len(ss) && conc <= MaxItems; a++ {
		if ss[a].close < 0 {
			continue // open-ended sessions do not prove concurrency
		}
		la := login(ss[a])
		// Sessions are in open order: stop at the first one opened after a closed.
		for b := a + 1; b < len(ss); b++ {
			lb := login(ss[b])
			if lb.t >= closeT(ss[a]) {
				break
			}
			if la.user != lb.user || j.e.hostOf(la) != j.e.hostOf(lb) || la.ip == lb.ip {
				continue
			}
			conc++
			u := j.s(la.user)
			r.Items = append(r.Items, j.item("R17", SevNotice, j.s(j.e.hostOf(la)), "concurrent:"+u, []int32{ss[a].open, ss[b].open}, Text{
				fmt.Sprintf("%s: %s와 %s에서 동시 접속", u, j.s(la.ip), j.s(lb.ip)),
				fmt.Sprintf("%s: concurrent sessions from %s and %s", u, j.s(la.ip), j.s(lb.ip)),
			}))
		}
	}
	r.Examined = len(ss)
	r.Counts = map[string]int{"sessions": len(ss), "long_sessions": long, "concurrent": conc}
	return finish(mergeSame(r))
}

// minutesKo and minutesEn print a window: whole hours as hours.
func minutesKo(m int) string {
	if m%60 == 0 {
		return fmt.Sprintf("%d시간", m/60)
	}
	return fmt.Sprintf("%d분", m)
}

func minutesEn(m int) string {
	if m%60 == 0 {
		return fmt.Sprintf("%d h", m/60)
	}
	return fmt.Sprintf("%d min", m)
}

// auditCounters are the aureport-style totals R18 reports, each the sum of
// its audit record types (a type ending in "_" is a prefix).
var auditCounters = []struct {
	name   string
	failed bool // count only res=failed records
	types  []string
}{
	{"logins", false, []string{"USER_LOGIN"}},
	{"login_failures", true, []string{"USER_LOGIN"}},
	{"authentications", false, []string{"USER_AUTH"}},
	{"auth_failures", true, []string{"USER_AUTH", "USER_ACCT"}},
	{"account_changes", false, []string{"ADD_USER", "DEL_USER", "USER_MGMT", "ADD_GROUP", "DEL_GROUP", "GRP_MGMT", "USER_CHAUTHTOK", "ROLE_ASSIGN", "ROLE_REMOVE"}},
	{"user_commands", false, []string{"USER_CMD"}},
	{"config_changes", false, []string{"CONFIG_CHANGE"}},
	{"anomalies", false, []string{"ANOM_"}},
	{"avc_denials", false, []string{"AVC"}},
	{"daemon_events", false, []string{"DAEMON_"}},
	{"syscalls", false, []string{"SYSCALL"}},
}

// auditTotal sums m over types (a type ending in "_" is a prefix).
func auditTotal(m map[string]int64, types []string) int {
	n := int64(0)
	for typ, c := range m {
		for _, t := range types {
			if typ == t || strings.HasSuffix(t, "_") && strings.HasPrefix(typ, t) {
				n += c
				break
			}
		}
	}
	return int(n)
}

func (j *judge) r18() Result {
	t := j.e.pol.Thresholds
	r := Result{
		ID:    "R18",
		Title: Text{"auditd 요약", "Audit summary"},
		Criterion: Text{
			fmt.Sprintf("감사 로그 유형별 건수 집계(aureport 방식); 감사 규칙 변경(CONFIG_CHANGE) → 위험; auditd 중지(DAEMON_END/DAEMON_ABORT)·이상 징후(ANOM_*) → 주의; 한 계정·접속지의 인증 실패(USER_LOGIN/USER_AUTH/USER_ACCT res=failed) %d회 이상 → 주의 (미만은 정보)", t.AuditAuthFailures),
			fmt.Sprintf("audit records counted by type (aureport style); audit rule change (CONFIG_CHANGE) → finding; auditd stop (DAEMON_END/DAEMON_ABORT) and anomalies (ANOM_*) → notice; ≥%d failed authentications (USER_LOGIN/USER_AUTH/USER_ACCT res=failed) for one account and address → notice (fewer: info)", t.AuditAuthFailures),
		},
		Maps: []string{"ISMS-P 2.9.4"},
	}
	total := 0
	for _, n := range j.e.auditTypes {
		total += int(n)
	}
	if total == 0 {
		return notChecked(r, Text{"기간 내 감사 로그(audit.log) 기록이 없어 점검하지 않음", "not checked: no audit log (audit.log) records in the period"})
	}
	type k5 struct{ host, user, ip, typ, arg uint32 }
	g := newGroups[k5]()
	for i, x := range j.e.evs {
		if x.kind() != kAudit {
			continue
		}
		k := k5{host: j.e.hostOf(x), typ: j.aux(x)}
		switch typ := j.s(k.typ); {
		case typ == "CONFIG_CHANGE":
			k.arg = j.arg(x) // one item per operation
		case typ == "DAEMON_END", typ == "DAEMON_ABORT", strings.HasPrefix(typ, "ANOM_"):
			k.user = x.user
		default: // failed authentication
			k.user, k.ip = x.user, x.ip
		}
		g.add(k, i)
	}
	for _, k := range g.order {
		idx := g.idx[k]
		typ, u, ip, arg := j.s(k.typ), j.s(k.user), j.s(k.ip), j.s(k.arg)
		var sev Severity
		var subj string
		var sum Text
		switch {
		case typ == "CONFIG_CHANGE":
			op := detailValue(arg, "op")
			sev, subj = SevFinding, "config:"+op
			sum = Text{fmt.Sprintf("감사 규칙 변경(CONFIG_CHANGE) %d건: %s", len(idx), orDash(op)), fmt.Sprintf("%d audit rule change(s) (CONFIG_CHANGE): %s", len(idx), orDash(op))}
		case typ == "DAEMON_END", typ == "DAEMON_ABORT":
			sev, subj = SevNotice, "daemon:"+typ
			sum = Text{fmt.Sprintf("auditd 중지(%s) %d건", typ, len(idx)), fmt.Sprintf("auditd stopped (%s) %d time(s)", typ, len(idx))}
		case strings.HasPrefix(typ, "ANOM_"):
			sev, subj = SevNotice, typ+":"+u
			sum = Text{fmt.Sprintf("감사 이상 징후 %s %d건 (계정 %s)", typ, len(idx), orDash(u)), fmt.Sprintf("audit anomaly %s, %d record(s) (account %s)", typ, len(idx), orDash(u))}
		default:
			sev, subj = SevInfo, typ+":"+u+"@"+ip
			if len(idx) >= t.AuditAuthFailures {
				sev = SevNotice
			}
			sum = Text{fmt.Sprintf("%s 인증 실패(%s) %d회, 접속지 %s", orDash(u), typ, len(idx), orDash(ip)), fmt.Sprintf("%s: %d failed %s from %s", orDash(u), len(idx), typ, orDash(ip))}
		}
		r.Items = append(r.Items, j.item("R18", sev, j.s(k.host), subj, idx, sum))
	}
	r.Examined = total
	r.Counts = map[string]int{"records": total}
	for _, c := range auditCounters {
		m := j.e.auditTypes
		if c.failed {
			m = j.e.auditFailed
		}
		r.Counts[c.name] = auditTotal(m, c.types)
	}
	return finish(r)
}

// detailValue returns the value of key in a "k=v k=v" detail string.
func detailValue(detail, key string) string {
	for _, f := range strings.Fields(detail) {
		if v, ok := strings.CutPrefix(f, key+"="); ok {
			return v
		}
	}
	return ""
}

// notChecked returns r as not checked (n/a) for the reason why.
func notChecked(r Result, why Text) Result {
	r.Verdict, r.Note = NA, why
	return finish(r)
}

// orDash returns s, or "-" when it is empty.
func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func (j *judge) r19() Result {
	p := j.e.pol
	r := Result{
		ID:    "R19",
		Title: Text{"FTP 전송", "FTP transfers"},
		Criterion: Text{
			fmt.Sprintf("xferlog의 익명(a)·게스트(g) 접근 전송 → 주의; 업로드 허용 계정(%s) 외 계정의 업로드 → 주의; 파일 삭제 → 주의", orDash(strings.Join(p.ApprovedFTPUploaders, ","))),
			fmt.Sprintf("xferlog transfers in anonymous (a) or guest (g) access mode → notice; uploads by accounts outside approved_ftp_uploaders (%s) → notice; deletes → notice", orDash(strings.Join(p.ApprovedFTPUploaders, ","))),
		},
		Maps: []string{"KISA U-43 Step 1 (xferlog)"},
	}
	if j.e.ftp["transfers"] == 0 {
		return notChecked(r, Text{"기간 내 FTP 전송 기록(xferlog)이 없어 점검하지 않음", "not checked: no FTP transfer log (xferlog) records in the period"})
	}
	type k5 struct{ host, user, ip, method, mode uint32 }
	g := newGroups[k5]()
	for i, x := range j.e.evs {
		if x.kind() == kFTP {
			g.add(k5{j.e.hostOf(x), x.user, x.ip, j.aux(x), j.target(x)}, i)
		}
	}
	for _, k := range g.order {
		idx := g.idx[k]
		u, ip, method, mode := orDash(j.s(k.user)), orDash(j.s(k.ip)), j.s(k.method), j.s(k.mode)
		var files []string
		for _, i := range idx {
			if f := j.s(j.arg(j.e.evs[i])); !slices.Contains(files, f) {
				files = append(files, f)
			}
		}
		var why Text
		switch {
		case mode == "a":
			why = Text{"익명 접근", "anonymous access"}
		case mode == "g":
			why = Text{"게스트 접근", "guest access"}
		case method == "upload":
			why = Text{"업로드 허용 계정 아님", "not an approved uploader"}
		default:
			why = Text{"파일 삭제", "file deleted"}
		}
		r.Items = append(r.Items, j.item("R19", SevNotice, j.s(k.host), u+"@"+ip+"|"+method+"|"+mode, idx, Text{
			fmt.Sprintf("%s (%s): FTP %s %d건 — %s: %s", u, ip, method, len(idx), why.Ko, short(files, 5)),
			fmt.Sprintf("%s (%s): %d FTP %s(s) — %s: %s", u, ip, len(idx), method, why.En, short(files, 5)),
		}))
	}
	r.Examined = j.e.ftp["transfers"]
	r.Counts = map[string]int{}
	for _, n := range []string{"transfers", "downloads", "uploads", "deletes", "anonymous", "guest", "incomplete"} {
		r.Counts[n] = j.e.ftp[n]
	}
	return finish(r)
}

func (j *judge) r20() Result {
	t := j.e.pol.Thresholds
	r := Result{
		ID:    "R20",
		Title: Text{"커널 이상", "Kernel anomalies"},
		Criterion: Text{
			fmt.Sprintf("OOM 강제 종료, 네트워크 장치 무차별(promiscuous) 모드, 서명 없는·트리 외부 커널 모듈 적재 → 주의; 한 프로그램의 1시간 내 segfault %d회 이상 → 주의 (미만은 정보)", t.SegfaultBurst),
			fmt.Sprintf("OOM kill, network device in promiscuous mode, unsigned or out-of-tree kernel module loaded → notice; ≥%d segfaults of one program within an hour → notice (fewer: info)", t.SegfaultBurst),
		},
		Maps: []string{"U-43"},
	}
	kernelLog := false
	for _, s := range j.e.streams {
		if s.records > 0 && (s.class == "syslog" || s.class == "journal") {
			kernelLog = true
		}
	}
	if !kernelLog {
		return notChecked(r, Text{"커널 메시지가 담긴 시스템 로그(messages/syslog/journal)가 없어 점검하지 않음", "not checked: no system log (messages/syslog/journal) with kernel messages"})
	}
	type k3 struct{ host, what, name uint32 }
	g := newGroups[k3]()
	for i, x := range j.e.evs {
		if x.kind() == kKernel {
			g.add(k3{j.e.hostOf(x), j.aux(x), j.arg(x)}, i)
		}
	}
	counts := map[string]int{"oom_kills": 0, "segfaults": 0, "promiscuous": 0, "tainted_modules": 0}
	for _, k := range g.order {
		idx := g.idx[k]
		name := orDash(j.s(k.name))
		sev := SevNotice
		var sum Text
		switch j.s(k.what) {
		case "kernel.oom_kill":
			counts["oom_kills"] += len(idx)
			sum = Text{fmt.Sprintf("메모리 부족(OOM)으로 %s 강제 종료 %d회", name, len(idx)), fmt.Sprintf("%s killed by the OOM killer %d time(s)", name, len(idx))}
		case "kernel.segfault":
			counts["segfaults"] += len(idx)
			peak, _, _ := j.maxWindow(idx, time.Hour)
			if peak < t.SegfaultBurst {
				sev = SevInfo
			}
			sum = Text{fmt.Sprintf("%s segfault %d회 (1시간 내 최대 %d회)", name, len(idx), peak), fmt.Sprintf("%s: %d segfault(s) (peak %d within an hour)", name, len(idx), peak)}
		case "kernel.promiscuous":
			counts["promiscuous"] += len(idx)
			sum = Text{fmt.Sprintf("네트워크 장치 %s 무차별 모드 진입 %d회 (패킷 수집 의심)", name, len(idx)), fmt.Sprintf("network device %s entered promiscuous mode %d time(s) (possible sniffing)", name, len(idx))}
		default:
			counts["tainted_modules"] += len(idx)
			det := j.s(j.target(j.e.evs[idx[0]]))
			sum = Text{fmt.Sprintf("커널 모듈 %s 적재 (%s, 커널 오염) %d회", name, det, len(idx)), fmt.Sprintf("kernel module %s loaded (%s, kernel tainted) %d time(s)", name, det, len(idx))}
		}
		r.Items = append(r.Items, j.item("R20", sev, j.s(k.host), j.s(k.what)+":"+name, idx, sum))
	}
	for _, n := range counts {
		r.Examined += n
	}
	r.Counts = counts
	return finish(r)
}

// syslogConfs are the files U-11 bounds to mode 640.
var syslogConfs = map[string]bool{"rsyslog.conf": true, "syslog.conf": true, "syslog-ng.conf": true}

func (j *judge) r21() Result {
	r := Result{
		ID:    "R21",
		Title: Text{"설정 무결성", "Logging and access configuration integrity"},
		Criterion: Text{
			"로깅·접근 설정 파일(정책 integrity_files)의 이전 보고서 대비 내용 변경·삭제 → 주의, 새 파일 → 정보; 소유자가 root가 아님, group/other 쓰기 권한, syslog 설정 권한 640 초과(U-11) → 주의",
			"logging and access configuration files (policy integrity_files) changed or removed since the previous report → notice, new files → info; owner not root, group/other writable, syslog configuration more permissive than 640 (U-11) → notice",
		},
		Maps: []string{"U-11", "U-72"},
	}
	if !j.e.configsSet {
		return notChecked(r, Text{"설정 파일은 호스트 파일 점검(--root)에서만 확인함", "not checked: configuration files are examined only in a file review of the host (--root)"})
	}
	if len(j.e.configs) == 0 && len(j.e.prevConfigs) == 0 {
		return notChecked(r, Text{"점검 대상 설정 파일이 없음", "not checked: none of the configuration files listed in the policy exists"})
	}
	prev := map[string]ConfigFile{}
	for _, c := range j.e.prevConfigs {
		prev[c.Path] = c
	}
	cur := map[string]bool{}
	counts := map[string]int{"files": len(j.e.configs), "changed": 0, "new": 0, "removed": 0, "permission_issues": 0, "unreadable": 0}
	add := func(sev Severity, key, path string, sum Text) {
		r.Items = append(r.Items, note("R21", sev, key+":"+path, path, sum))
	}
	for _, c := range j.e.configs {
		cur[c.Path] = true
		mode, _ := strconv.ParseUint(c.Mode, 8, 32)
		if c.UID > 0 {
			counts["permission_issues"]++
			add(SevNotice, "owner", c.Path, Text{fmt.Sprintf("%s: 소유자가 root가 아님 (uid %d)", c.Path, c.UID), fmt.Sprintf("%s: owner is not root (uid %d)", c.Path, c.UID)})
		}
		if mode&0o022 != 0 {
			counts["permission_issues"]++
			add(SevNotice, "writable", c.Path, Text{fmt.Sprintf("%s: group/other 쓰기 권한 (%s)", c.Path, c.Mode), fmt.Sprintf("%s: writable by group or others (%s)", c.Path, c.Mode)})
		} else if syslogConfs[path.Base(c.Path)] && mode&^0o640 != 0 {
			counts["permission_issues"]++
			add(SevNotice, "mode", c.Path, Text{fmt.Sprintf("%s: 권한 %s, 640 초과 (U-11)", c.Path, c.Mode), fmt.Sprintf("%s: mode %s is more permissive than 640 (U-11)", c.Path, c.Mode)})
		}
		if c.Error != "" {
			counts["unreadable"]++
			add(SevInfo, "unreadable", c.Path, Text{fmt.Sprintf("%s: 읽을 수 없음 (%s)", c.Path, c.Error), fmt.Sprintf("%s: not readable (%s)", c.Path, c.Error)})
		}
		if !j.e.hasPrevCfg {
			continue
		}
		p, ok := prev[c.Path]
		switch {
		case !ok:
			counts["new"]++
			add(SevInfo, "new", c.Path, Text{fmt.Sprintf("%s: 이전 보고서에 없던 파일 (sha256 %s)", c.Path, short12(c.SHA256)), fmt.Sprintf("%s: not in the previous report (sha256 %s)", c.Path, short12(c.SHA256))})
		case p.SHA256 != "" && c.SHA256 != "" && p.SHA256 != c.SHA256:
			counts["changed"]++
			add(SevNotice, "changed", c.Path, Text{fmt.Sprintf("%s: 이전 보고서 이후 내용 변경 (sha256 %s → %s, 수정 %s)", c.Path, short12(p.SHA256), short12(c.SHA256), c.ModTime.In(j.e.pol.Location()).Format("2006-01-02 15:04")),
				fmt.Sprintf("%s: changed since the previous report (sha256 %s → %s, modified %s)", c.Path, short12(p.SHA256), short12(c.SHA256), c.ModTime.In(j.e.pol.Location()).Format("2006-01-02 15:04"))})
		}
	}
	for _, p := range j.e.prevConfigs {
		if !cur[p.Path] {
			counts["removed"]++
			add(SevNotice, "removed", p.Path, Text{fmt.Sprintf("%s: 이전 보고서 이후 삭제됨", p.Path), fmt.Sprintf("%s: removed since the previous report", p.Path)})
		}
	}
	if !j.e.hasPrevCfg {
		r.Note = Text{"이전 기간 보고서가 없어 변경 여부는 다음 기간부터 점검함 (이번 해시가 기준이 됨)", "changes not checked: no previous report (this period's hashes become the reference)"}
	}
	r.Examined = len(j.e.configs)
	r.Counts = counts
	return finish(r)
}

// short12 abbreviates a hash for a summary ("-" when missing).
func short12(h string) string {
	if len(h) > 12 {
		return h[:12]
	}
	return orDash(h)
}
