package server

import (
	"bufio"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"net/http"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"
)

// maxClockSkew is how far a request's X-Amz-Date may be from the server clock.
const maxClockSkew = 15 * time.Minute

const amzDateFormat = "20060102T150405Z"

type credential struct {
	secret string
	token  string // optional session token the request must carry
}

// loadAuthFile reads a credentials file: one "ACCESS_KEY_ID SECRET [TOKEN]"
// per line; blank lines and lines starting with # are ignored.
func loadAuthFile(path string) (map[string]credential, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open auth file: %w", err)
	}
	defer f.Close()
	creds := map[string]credential{}
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fs := strings.Fields(line)
		if len(fs) < 2 || len(fs) > 3 {
			return nil, fmt.Errorf("parse auth file %s line %d: want ACCESS_KEY_ID SECRET [SESSION_TOKEN]", path, n)
		}
		c := credential{secret: fs[1]}
		if len(fs) == 3 {
			c.token = fs[2]
		}
		creds[fs[0]] = c
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read auth file: %w", err)
	}
	if len(creds) == 0 {
		return nil, fmt.Errorf("parse auth file %s: no credentials", path)
	}
	return creds, nil
}

type sigParts struct {
	accessKey, date, region, service string
	signedHeaders                    []string
	signature                        string
}

// parseAuthorization parses "AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=...".
func parseAuthorization(h string) (sigParts, bool) {
	var p sigParts
	rest, ok := strings.CutPrefix(h, "AWS4-HMAC-SHA256 ")
	if !ok {
		return p, false
	}
	for _, kv := range strings.Split(rest, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(kv), "=")
		if !ok {
			return p, false
		}
		switch k {
		case "Credential":
			parts := strings.Split(v, "/")
			if len(parts) != 5 || parts[4] != "aws4_request" {
				return p, false
			}
			p.accessKey, p.date, p.region, p.service = parts[0], parts[1], parts[2], parts[3]
		case "SignedHeaders":
			p.signedHeaders = strings.Split(v, ";")
		case "Signature":
			p.signature = v
		}
	}
	return p, p.accessKey != "" && p.signature != "" && len(p.signedHeaders) > 0
}

// authenticate takes the region from the credential scope and, when the server
// has credentials, verifies the request's SigV4 signature over the raw body.
func (s *Server) authenticate(r *http.Request, body []byte, rc *reqCtx) *APIError {
	authz := r.Header.Get("Authorization")
	p, ok := parseAuthorization(authz)
	if ok && p.region != "" {
		rc.region = p.region
	}
	if s.creds == nil {
		return nil
	}
	if authz == "" {
		return newErr(codeMissingAuth, "Missing Authentication Token")
	}
	if !ok {
		return newErr(codeIncompleteSig, "Authorization header requires 'Credential', 'Signature' and 'SignedHeaders' parameters. Authorization=%s", authz)
	}
	cred, known := s.creds[p.accessKey]
	if !known {
		return newErr(codeUnrecognized, msgInvalidToken)
	}
	if cred.token != "" && r.Header.Get("X-Amz-Security-Token") != cred.token {
		return newErr(codeUnrecognized, msgInvalidToken)
	}
	amzDate := r.Header.Get("X-Amz-Date")
	t, err := time.Parse(amzDateFormat, amzDate)
	if err != nil || !strings.HasPrefix(amzDate, p.date) {
		return newErr(codeIncompleteSig, "Date must be in ISO-8601 'basic format'. Got '%s'.", amzDate)
	}
	now := s.now().UTC()
	if now.Sub(t) > maxClockSkew {
		return newErr(codeInvalidSignature, "Signature expired: %s is now earlier than %s (%s - 15 min.)",
			amzDate, now.Add(-maxClockSkew).Format(amzDateFormat), now.Format(amzDateFormat))
	}
	if t.Sub(now) > maxClockSkew {
		return newErr(codeInvalidSignature, "Signature not yet current: %s is still later than %s (%s + 15 min.)",
			amzDate, now.Add(maxClockSkew).Format(amzDateFormat), now.Format(amzDateFormat))
	}
	want := signature(cred.secret, p, canonicalRequest(r, p.signedHeaders, body), amzDate)
	if subtle.ConstantTimeCompare([]byte(want), []byte(p.signature)) != 1 {
		return newErr(codeInvalidSignature, msgSignatureMismatch)
	}
	return nil
}

func canonicalRequest(r *http.Request, signed []string, body []byte) string {
	var b strings.Builder
	b.WriteString(r.Method)
	b.WriteByte('\n')
	path := r.URL.EscapedPath()
	if path == "" {
		path = "/"
	}
	b.WriteString(path)
	b.WriteByte('\n')
	b.WriteString(canonicalQuery(r))
	b.WriteByte('\n')
	hs := append([]string(nil), signed...)
	sort.Strings(hs)
	for _, h := range hs {
		var v string
		switch h {
		case "host":
			v = r.Host
		case "content-length":
			v = r.Header.Get("Content-Length")
			if v == "" {
				v = strconv.FormatInt(r.ContentLength, 10)
			}
		default:
			v = strings.Join(r.Header.Values(h), ",")
		}
		b.WriteString(h)
		b.WriteByte(':')
		b.WriteString(strings.Join(strings.Fields(v), " "))
		b.WriteByte('\n')
	}
	b.WriteByte('\n')
	b.WriteString(strings.Join(hs, ";"))
	b.WriteByte('\n')
	if ph := r.Header.Get("X-Amz-Content-Sha256"); ph != "" {
		b.WriteString(ph)
	} else {
		sum := sha256.Sum256(body)
		b.WriteString(hex.EncodeToString(sum[:]))
	}
	return b.String()
}

func canonicalQuery(r *http.Request) string {
	q := r.URL.Query()
	if len(q) == 0 {
		return ""
	}
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		vs := append([]string(nil), q[k]...)
		sort.Strings(vs)
		for _, v := range vs {
			parts = append(parts, awsEscape(k)+"="+awsEscape(v))
		}
	}
	return strings.Join(parts, "&")
}

func awsEscape(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~' {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

func hmacSHA256(key []byte, data string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(data))
	return m.Sum(nil)
}

func signature(secret string, p sigParts, canonical, amzDate string) string {
	sum := sha256.Sum256([]byte(canonical))
	scope := p.date + "/" + p.region + "/" + p.service + "/aws4_request"
	sts := "AWS4-HMAC-SHA256\n" + amzDate + "\n" + scope + "\n" + hex.EncodeToString(sum[:])
	k := hmacSHA256([]byte("AWS4"+secret), p.date)
	k = hmacSHA256(k, p.region)
	k = hmacSHA256(k, p.service)
	k = hmacSHA256(k, "aws4_request")
	return hex.EncodeToString(hmacSHA256(k, sts))
}
