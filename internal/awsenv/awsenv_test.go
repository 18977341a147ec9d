package awsenv

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/keytrail/keytrail"
)

// isolate clears the AWS environment and points the shared files at
// config and credentials (written when not empty) in a temporary folder.
func isolate(t *testing.T, config, credentials string) (configFile, credentialsFile string) {
	t.Helper()
	dir := t.TempDir()
	configFile = filepath.Join(dir, "config")
	credentialsFile = filepath.Join(dir, "credentials")
	for f, s := range map[string]string{configFile: config, credentialsFile: credentials} {
		if err := os.WriteFile(f, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	for _, k := range []string{
		"AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_REGION", "AWS_DEFAULT_REGION",
		"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_ACCESS_KEY", "AWS_SECRET_KEY",
		"AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_ARN", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
		"AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_EC2_METADATA_DISABLED", "AWS_EC2_METADATA_SERVICE_ENDPOINT",
		"AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3",
	} {
		t.Setenv(k, "")
		os.Unsetenv(k)
	}
	t.Setenv("AWS_CONFIG_FILE", configFile)
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", credentialsFile)
	return configFile, credentialsFile
}

// blackHole returns the URL of a listener that accepts connections and
// never answers, as the metadata address can behave off EC2.
func blackHole(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		var conns []net.Conn
		defer func() {
			for _, c := range conns {
				c.Close()
			}
		}()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			conns = append(conns, c)
		}
	}()
	return "http://" + ln.Addr().String()
}

func TestLoadRegion(t *testing.T) {
	const config = "[default]\n\n[profile irish]\nregion = eu-west-1\n"
	cases := []struct {
		name string
		env  map[string]string
		opts Options
		want string
	}{
		{"nothing configured", nil, Options{}, "us-east-1"},
		{"profile", nil, Options{Profile: "irish"}, "eu-west-1"},
		{"AWS_PROFILE", map[string]string{"AWS_PROFILE": "irish"}, Options{}, "eu-west-1"},
		{"AWS_REGION", map[string]string{"AWS_REGION": "ap-south-1"}, Options{Profile: "irish"}, "ap-south-1"},
		{"--region", map[string]string{"AWS_REGION": "ap-south-1"}, Options{Region: "sa-east-1"}, "sa-east-1"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			isolate(t, config, "")
			for k, v := range c.env {
				t.Setenv(k, v)
			}
			cfg, err := Load(context.Background(), c.opts)
			if err != nil {
				t.Fatal(err)
			}
			if cfg.Region != c.want {
				t.Errorf("region %q, want %q", cfg.Region, c.want)
			}
		})
	}
}

func TestLoadEndpoint(t *testing.T) {
	isolate(t, "", "")
	cfg, err := Load(context.Background(), Options{EndpointURL: "http://127.0.0.1:9000"})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.BaseEndpoint == nil || *cfg.BaseEndpoint != "http://127.0.0.1:9000" {
		t.Errorf("base endpoint %v", cfg.BaseEndpoint)
	}
}

func TestLoadMissingProfile(t *testing.T) {
	configFile, credentialsFile := isolate(t, "[profile dev]\nregion = eu-west-1\n", "")
	for _, c := range []struct {
		opts Options
		env  string
		from string
	}{
		{Options{Profile: "prod"}, "", "--profile"},
		{Options{}, "prod", "AWS_PROFILE"},
	} {
		if c.env != "" {
			t.Setenv("AWS_PROFILE", c.env)
		}
		_, err := Load(context.Background(), c.opts)
		if keytrail.ErrorCode(err) != keytrail.EINVALID {
			t.Fatalf("error %v, want EINVALID", err)
		}
		for _, s := range []string{`"prod"`, c.from, configFile, credentialsFile, "aws configure"} {
			if !strings.Contains(err.Error(), s) {
				t.Errorf("error %q does not say %q", err, s)
			}
		}
	}
}

func TestCheckCredentials(t *testing.T) {
	ctx := context.Background()
	t.Run("environment", func(t *testing.T) {
		isolate(t, "", "")
		t.Setenv("AWS_ACCESS_KEY_ID", "AKIAEXAMPLE")
		t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
		cfg, err := Load(ctx, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if err := CheckCredentials(ctx, cfg); err != nil {
			t.Error(err)
		}
	})
	t.Run("profile", func(t *testing.T) {
		isolate(t, "[profile dev]\nregion = eu-west-1\n", "[dev]\naws_access_key_id = AKIAEXAMPLE\naws_secret_access_key = secret\n")
		cfg, err := Load(ctx, Options{Profile: "dev"})
		if err != nil {
			t.Fatal(err)
		}
		if err := CheckCredentials(ctx, cfg); err != nil {
			t.Error(err)
		}
	})
	t.Run("none, metadata service silent", func(t *testing.T) {
		isolate(t, "", "")
		t.Setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", blackHole(t))
		cfg, err := Load(ctx, Options{})
		if err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		err = CheckCredentials(ctx, cfg)
		took := time.Since(start)
		if keytrail.ErrorCode(err) != keytrail.EINVALID || !strings.HasPrefix(err.Error(), "no AWS credentials found: set AWS_PROFILE or use --profile, run `aws sso login`, or export AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY") {
			t.Errorf("error %v", err)
		}
		if took > 3*time.Second {
			t.Errorf("took %v to give up on the metadata service", took)
		}
	})
	t.Run("none, metadata service disabled", func(t *testing.T) {
		isolate(t, "", "")
		t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
		cfg, err := Load(ctx, Options{})
		if err != nil {
			t.Fatal(err)
		}
		err = CheckCredentials(ctx, cfg)
		if keytrail.ErrorCode(err) != keytrail.EINVALID || !strings.HasPrefix(err.Error(), "no AWS credentials found") {
			t.Errorf("error %v", err)
		}
	})
	t.Run("SSO not logged in", func(t *testing.T) {
		isolate(t, "[profile sso]\nsso_start_url = https://example.awsapps.com/start\nsso_region = us-east-1\nsso_account_id = 111122223333\nsso_role_name = Admin\nregion = us-east-1\n", "")
		t.Setenv("HOME", t.TempDir()) // no SSO token cache
		cfg, err := Load(ctx, Options{Profile: "sso"})
		if err != nil {
			t.Fatal(err)
		}
		err = CheckCredentials(ctx, cfg)
		if keytrail.ErrorCode(err) != keytrail.EINVALID || !strings.Contains(err.Error(), "aws sso login --profile sso") {
			t.Errorf("error %v", err)
		}
	})
}
