package review

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/logwarden/logwarden/internal/review/check"
)

// maxConfigFiles bounds the files one integrity_files directory entry adds
// (pam.d holds a few dozen): a directory of logs named by mistake must not
// turn the report into a file listing.
const maxConfigFiles = 256

// scanConfigs returns the state of the configuration files the policy lists
// under root (R21), sorted by path. Missing files are left out; a file that
// exists but cannot be read is listed with the error and no hash. A trailing
// "/" names every regular file directly in that directory.
func scanConfigs(root string, entries []string) ([]check.ConfigFile, error) {
	var out []check.ConfigFile
	seen := map[string]bool{}
	for _, ent := range entries {
		rel := strings.TrimSuffix(ent, "/")
		if !strings.HasSuffix(ent, "/") {
			if c, ok := statConfig(root, rel); ok && !seen[rel] {
				seen[rel] = true
				out = append(out, c)
			}
			continue
		}
		des, err := os.ReadDir(filepath.Join(root, filepath.FromSlash(rel)))
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("read config directory: %w", err)
		}
		n := 0
		for _, de := range des {
			p := path.Join(rel, de.Name())
			if !de.Type().IsRegular() || seen[p] || n == maxConfigFiles {
				continue
			}
			if c, ok := statConfig(root, p); ok {
				seen[p] = true
				out = append(out, c)
				n++
			}
		}
	}
	slices.SortFunc(out, func(a, b check.ConfigFile) int { return strings.Compare(a.Path, b.Path) })
	return out, nil
}

// statConfig describes root/rel; ok is false when it does not exist or is
// not a regular file.
func statConfig(root, rel string) (check.ConfigFile, bool) {
	name := filepath.Join(root, filepath.FromSlash(rel))
	fi, err := os.Stat(name)
	if err != nil || !fi.Mode().IsRegular() {
		return check.ConfigFile{}, false
	}
	c := check.ConfigFile{Path: rel, Size: fi.Size(), Mode: fmt.Sprintf("%04o", fi.Mode().Perm()), UID: ownerOf(fi), ModTime: fi.ModTime().UTC()}
	sum, err := hashFile(name)
	if err != nil {
		// The reason without the path: the report names the file by rel.
		c.Error = err.Error()
		if pe := (*fs.PathError)(nil); errors.As(err, &pe) {
			c.Error = pe.Err.Error()
		}
		return c, true
	}
	c.SHA256 = sum
	return c, true
}

func hashFile(name string) (string, error) {
	f, err := os.Open(name)
	if err != nil {
		return "", fmt.Errorf("open config: %w", err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("hash config: %w", err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
