package store

import (
	"slices"
	"testing"
)

func TestAddresses(t *testing.T) {
	for _, tt := range []struct {
		text string
		want []string
	}{
		{`{"instancesSet":{"items":[{"instanceId":"i-0a1b","privateIpAddress":"10.0.3.17","ipAddress":"54.1.2.3"}]}}`, []string{"10.0.3.17", "54.1.2.3"}},
		{`{"a":"2001:db8::1","b":["10.0.0.1","10.0.0.1"],"c":"1.2.3"}`, []string{"2001:db8::1", "10.0.0.1"}},
		{`{"k":"a \"quoted\" 10.0.0.9 text","ip":"10.0.0.2"}`, []string{"10.0.0.2"}},
		{`{"long":"` + string(make([]byte, 0)) + `aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa","x":"192.168.1.1"}`, []string{"192.168.1.1"}},
		{`{"10.1.1.1":true,"n":10.0.0.3}`, []string{"10.1.1.1"}},
		{``, nil},
		{`"unterminated 10.0.0.1`, nil},
		{`{"a":"\\","b":"10.0.0.4"}`, []string{"10.0.0.4"}},
	} {
		if got := addresses(tt.text); !slices.Equal(got, tt.want) {
			t.Errorf("addresses(%s) = %q, want %q", tt.text, got, tt.want)
		}
	}
}
