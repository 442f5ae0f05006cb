package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/logwarden/logwarden/internal/hostinfo"
)

func mustParse(t testing.TB, doc string) *Config {
	t.Helper()
	cfg, err := Parse([]byte(doc), "test.json")
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return cfg
}

// entryDoc is a config with one collect_list entry and an optional
// logs.log_stream_name (empty: absent).
func entryDoc(entry, logsStream string) string {
	s := ""
	if logsStream != "" {
		s = `"log_stream_name":"` + logsStream + `",`
	}
	return `{"logs":{` + s + `"logs_collected":{"files":{"collect_list":[` + entry + `]}}}}`
}

func TestSources_Placeholders(t *testing.T) {
	fixedNow(t)
	t.Setenv("AWS_REGION", "")
	t.Setenv("AWS_DEFAULT_REGION", "")
	offEC2 := hostinfo.Info{InstanceID: hostinfo.UnknownInstanceID, Hostname: "box", LocalHostname: "box",
		IPAddress: "192.168.0.9", Region: hostinfo.UnknownRegion, AccountID: hostinfo.UnknownAccount}
	tests := []struct {
		name       string
		entry      string
		logsStream string
		info       hostinfo.Info
		onPrem     bool
		wantGroup  string
		wantStream string
	}{
		{"every placeholder", `{"file_path":"/a.log","log_group_name":"{instance_id}/{hostname}/{local_hostname}","log_stream_name":"{ip_address}_{aws_region}_{account_id}_{date}"}`,
			"", testInfo, false, "i-0123456789abcdef0/ip-10-0-0-5.ap-northeast-2.compute.internal/web-1", "10.0.0.5_ap-northeast-2_123456789012_2026-11-26"},
		{"unknown placeholder kept", `{"file_path":"/a.log","log_group_name":"{instance}-{hostname","log_stream_name":"{{date}}"}`,
			"", testInfo, false, "{instance}-{hostname", "{2026-11-26}"},
		{"default stream on EC2 is the instance id", `{"file_path":"/var/log/app.log"}`, "", testInfo, false, "/var/log/app", "i-0123456789abcdef0"},
		{"default stream on EC2 unknown", `{"file_path":"/var/log/app.log"}`, "", offEC2, false, "/var/log/app", "i-UNKNOWN"},
		{"default stream on premises is the host name", `{"file_path":"/var/log/app.log"}`, "", offEC2, true, "/var/log/app", "box"},
		{"logs.log_stream_name resolved", `{"file_path":"/var/log/app"}`, "{hostname}-{date}", testInfo, true, "/var/log/app",
			"ip-10-0-0-5.ap-northeast-2.compute.internal-2026-11-26"},
		{"entry stream wins", `{"file_path":"/x/y.tar.gz","log_stream_name":"mine"}`, "theirs", testInfo, false, "/x/y.tar", "mine"},
		{"fallbacks when info is empty", `{"file_path":"/a","log_group_name":"{instance_id}|{hostname}|{local_hostname}|{ip_address}|{aws_region}|{account_id}"}`,
			"", hostinfo.Info{}, false, "i-UNKNOWN|UNKNOWN-HOST|UNKNOWN-HOST|UNKNOWN-IP|UNKNOWN-REGION|UNKNOWN-ACCOUNT", "i-UNKNOWN"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := mustParse(t, entryDoc(tt.entry, tt.logsStream))
			got, err := cfg.Sources(tt.info, tt.onPrem)
			if err != nil {
				t.Fatalf("Sources: %v", err)
			}
			if len(got) != 1 {
				t.Fatalf("%d sources, want 1", len(got))
			}
			if got[0].GroupName != tt.wantGroup || got[0].StreamName != tt.wantStream {
				t.Errorf("group, stream = %q, %q; want %q, %q", got[0].GroupName, got[0].StreamName, tt.wantGroup, tt.wantStream)
			}
		})
	}
}

func TestSources_RegionPlaceholder(t *testing.T) {
	t.Setenv("AWS_REGION", "")
	t.Setenv("AWS_DEFAULT_REGION", "")
	doc := `{"agent":{"region":"eu-central-1"},"logs":{"logs_collected":{"files":{"collect_list":[{"file_path":"/a","log_group_name":"{aws_region}"}]}}}}`
	got, err := mustParse(t, doc).Sources(testInfo, false)
	if err != nil {
		t.Fatal(err)
	}
	if got[0].GroupName != "eu-central-1" {
		t.Errorf("{aws_region} = %q, want agent.region eu-central-1", got[0].GroupName)
	}
}

func TestSources_OnPremUnknownHost(t *testing.T) {
	cfg := mustParse(t, entryDoc(`{"file_path":"/a"}`, ""))
	_, err := cfg.Sources(hostinfo.Info{LocalHostname: hostinfo.UnknownHost}, true)
	if err == nil || !strings.Contains(err.Error(), "logs.log_stream_name") {
		t.Fatalf("err = %v, want an error that points at logs.log_stream_name", err)
	}
	if _, err := mustParse(t, entryDoc(`{"file_path":"/a"}`, "fixed")).Sources(hostinfo.Info{}, true); err != nil {
		t.Errorf("with logs.log_stream_name: %v", err)
	}
}

func TestSources_Defaults(t *testing.T) {
	tests := []struct {
		name  string
		entry string
		env   string
		check func(t *testing.T, s Source)
	}{
		{"multi-line pattern default", `{"file_path":"/a"}`, "", func(t *testing.T, s Source) {
			if s.MultiLineStartPattern != DefaultMultiLineStartPattern || s.RetentionInDays != -1 || s.UTC || s.LogGroupClass != "" {
				t.Errorf("defaults: %+v", s)
			}
		}},
		{"timestamp placeholder kept with a format", `{"file_path":"/a","timestamp_format":"%Y","multi_line_start_pattern":"{timestamp_format}"}`, "", func(t *testing.T, s Source) {
			if s.MultiLineStartPattern != TimestampFormatPlaceholder || s.TimestampFormat != "%Y" {
				t.Errorf("got %q / %q", s.MultiLineStartPattern, s.TimestampFormat)
			}
		}},
		{"timestamp placeholder without format", `{"file_path":"/a","multi_line_start_pattern":"{timestamp_format}"}`, "", func(t *testing.T, s Source) {
			if s.MultiLineStartPattern != EveryLinePattern {
				t.Errorf("got %q, want %q", s.MultiLineStartPattern, EveryLinePattern)
			}
		}},
		{"agent log drops its timestamp", `{"file_path":"` + DefaultLogfile + `","timestamp_format":"%Y"}`, "", func(t *testing.T, s Source) {
			if s.TimestampFormat != "" {
				t.Errorf("TimestampFormat = %q, want dropped for the agent's own log", s.TimestampFormat)
			}
		}},
		{"class uppercased", `{"file_path":"/a","log_group_class":"Infrequent_Access"}`, "", func(t *testing.T, s Source) {
			if s.LogGroupClass != ClassInfrequentAccess {
				t.Errorf("class = %q", s.LogGroupClass)
			}
		}},
		{"unknown class ignored", `{"file_path":"/a","log_group_class":"archive"}`, "", func(t *testing.T, s Source) {
			if s.LogGroupClass != "" {
				t.Errorf("class = %q, want ignored", s.LogGroupClass)
			}
		}},
		{"UTC only when exactly UTC", `{"file_path":"/a","timezone":"UTC"}`, "", func(t *testing.T, s Source) {
			if !s.UTC {
				t.Error("UTC = false")
			}
		}},
		{"utf-8 spellings mean no decoding", `{"file_path":"/a","encoding":"UTF8"}`, "", func(t *testing.T, s Source) {
			if s.Encoding != "" {
				t.Errorf("Encoding = %q", s.Encoding)
			}
		}},
		{"backpressure from the environment", `{"file_path":"/a"}`, "fd_release", func(t *testing.T, s Source) {
			if s.BackpressureMode != "fd_release" {
				t.Errorf("BackpressureMode = %q", s.BackpressureMode)
			}
		}},
		{"backpressure ignored with auto_removal", `{"file_path":"/a","auto_removal":true,"backpressure_mode":"fd_release"}`, "fd_release", func(t *testing.T, s Source) {
			if s.BackpressureMode != "" {
				t.Errorf("BackpressureMode = %q", s.BackpressureMode)
			}
		}},
		{"non-positive retention leaves it alone", `{"file_path":"/a","retention_in_days":-1}`, "", func(t *testing.T, s Source) {
			if s.RetentionInDays != -1 {
				t.Errorf("RetentionInDays = %d", s.RetentionInDays)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv(BackpressureEnv, tt.env)
			got, err := mustParse(t, entryDoc(tt.entry, "")).Sources(testInfo, false)
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, got[0])
		})
	}
}

func TestSource_Destination(t *testing.T) {
	tests := []struct {
		name       string
		src        Source
		path       string
		wantGroup  string
		wantStream string
	}{
		{"plain entry", Source{FilePath: "/var/log/*.log", GroupName: "g", StreamName: "s"}, "/var/log/x.log", "g", "s"},
		{"plain entry, group from the pattern", Source{FilePath: "/var/log/app.log", StreamName: "s"}, "/var/log/app.log", "/var/log/app", "s"},
		{"multi without group", Source{FilePath: "/var/log/*", PublishMultiLogs: true, StreamName: "s"},
			"/var/log/my app@2026:01.log", "/var/log/my_app_2026_01.log", "s"},
		{"multi without group keeps allowed characters", Source{FilePath: "/x/*", PublishMultiLogs: true, StreamName: "s"},
			"/x/A-b_c.d#e/9", "/x/A-b_c.d#e/9", "s"},
		{"multi without group, backslashes", Source{FilePath: `C:\logs\*`, PublishMultiLogs: true, StreamName: "s"},
			`C:\logs\a b.log`, "C_/logs/a_b.log", "s"},
		{"multi with group", Source{FilePath: "/var/log/*", PublishMultiLogs: true, GroupName: "g", StreamName: "i-1"},
			"/var/log/nginx/access log.1", "g", "i-1__var_log_nginx_access_log.1"},
		{"multi with group, non-ASCII", Source{FilePath: "/data/*", PublishMultiLogs: true, GroupName: "g", StreamName: "h"},
			"/data/로그.log", "g", "h__data___.log"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g, s := tt.src.Destination(tt.path)
			if g != tt.wantGroup || s != tt.wantStream {
				t.Errorf("Destination(%q) = %q, %q; want %q, %q", tt.path, g, s, tt.wantGroup, tt.wantStream)
			}
		})
	}
}

func TestConfig_Region(t *testing.T) {
	dir := t.TempDir()
	shared := filepath.Join(dir, "config")
	err := os.WriteFile(shared, []byte("[default]\nregion = eu-west-3\n\n[profile AmazonCloudWatchAgent]\nregion = sa-east-1\n\n[profile other]\noutput = json\n"), 0o600)
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "credentials"))
	offEC2 := hostinfo.Info{Region: hostinfo.UnknownRegion}
	tests := []struct {
		name, agentRegion, awsRegion, defaultRegion string
		configFile, profile                         string
		info                                        hostinfo.Info
		want                                        string
		wantErr                                     bool
	}{
		{"config first", "ap-northeast-2", "us-east-1", "us-west-2", shared, "", testInfo, "ap-northeast-2", false},
		{"AWS_REGION", "", "us-east-1", "us-west-2", shared, "", testInfo, "us-east-1", false},
		{"AWS_DEFAULT_REGION", "", "", "us-west-2", shared, "", testInfo, "us-west-2", false},
		{"default profile on EC2", "", "", "", shared, "", testInfo, "eu-west-3", false},
		{"on-premises profile off EC2", "", "", "", shared, "", offEC2, "sa-east-1", false},
		{"AWS_PROFILE without a region", "", "", "", shared, "other", testInfo, "ap-northeast-2", false},
		{"instance", "", "", "", filepath.Join(dir, "none"), "", testInfo, "ap-northeast-2", false},
		{"unknown", "", "", "", filepath.Join(dir, "none"), "", offEC2, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("AWS_REGION", tt.awsRegion)
			t.Setenv("AWS_DEFAULT_REGION", tt.defaultRegion)
			t.Setenv("AWS_CONFIG_FILE", tt.configFile)
			t.Setenv("AWS_PROFILE", tt.profile)
			cfg := &Config{Agent: Agent{Region: tt.agentRegion}}
			got, err := cfg.Region(tt.info)
			if (err != nil) != tt.wantErr || got != tt.want {
				t.Errorf("Region() = %q, %v; want %q (error %v)", got, err, tt.want, tt.wantErr)
			}
			if tt.wantErr && !errors.Is(err, ErrNoRegion) {
				t.Errorf("err = %v, want ErrNoRegion", err)
			}
		})
	}
}
