package e2e

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/newsflow/newsflow/e2e/harness"
	"github.com/newsflow/newsflow/pkg/article"
	"github.com/newsflow/newsflow/pkg/broker"
	"github.com/newsflow/newsflow/pkg/kafka"
)

// selfSignedTLS makes a CA and a server certificate for 127.0.0.1, writes
// the CA to caFile and returns the server's TLS config.
func selfSignedTLS(t *testing.T, caFile string) *tls.Config {
	t.Helper()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ca := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "newsflow test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IsCA: true, KeyUsage: x509.KeyUsageCertSign, BasicConstraintsValid: true,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, ca, ca, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	caCert, _ := x509.ParseCertificate(caDER)
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	leaf := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "kafka"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, DNSNames: []string{"localhost"},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, KeyUsage: x509.KeyUsageDigitalSignature,
	}
	leafDER, err := x509.CreateCertificate(rand.Reader, leaf, caCert, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	return &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{leafDER}, PrivateKey: key}}, MinVersion: tls.VersionTLS12}
}

func allow(resource kmsg.ACLResourceType, name string, pattern kmsg.ACLResourcePatternType, ops ...kmsg.ACLOperation) []kfake.ACL {
	var out []kfake.ACL
	for _, op := range ops {
		out = append(out, kfake.ACL{Resource: resource, Name: name, Pattern: pattern, Operation: op, Allow: true})
	}
	return out
}

func topicACL(name string, ops ...kmsg.ACLOperation) []kfake.ACL {
	return allow(kmsg.ACLResourceTypeTopic, name, kmsg.ACLResourcePatternTypeLiteral, append(ops, kmsg.ACLOperationDescribe)...)
}

// TestSecureCluster runs the pipeline against a broker that wants TLS and
// SASL/SCRAM, with a user per service and ACLs that let each do only its
// job: ingest writes raw, enrich reads raw and writes enriched, sink reads
// enriched. A wrong password and a forbidden topic fail fast with a clear
// error, and no password shows up in any log.
func TestSecureCluster(t *testing.T) {
	dir := t.TempDir()
	caFile := filepath.Join(dir, "ca.pem")
	serverTLS := selfSignedTLS(t, caFile)
	const mech = "SCRAM-SHA-512"
	passwords := map[string]string{"admin": "admin-s3cret", "ingest": "ingest-s3cret", "enrich": "enrich-s3cret", "sink": "sink-s3cret"}
	var ingestACL, enrichACL, sinkACL []kfake.ACL
	ingestACL = append(ingestACL, topicACL(article.RawTopic, kmsg.ACLOperationWrite)...)
	enrichACL = append(enrichACL, topicACL(article.RawTopic, kmsg.ACLOperationRead)...)
	enrichACL = append(enrichACL, topicACL(article.EnrichedTopic, kmsg.ACLOperationWrite)...)
	enrichACL = append(enrichACL, topicACL(article.DLQTopic(article.RawTopic), kmsg.ACLOperationWrite)...)
	enrichACL = append(enrichACL, allow(kmsg.ACLResourceTypeGroup, article.EnrichGroup, kmsg.ACLResourcePatternTypeLiteral, kmsg.ACLOperationRead, kmsg.ACLOperationDescribe)...)
	sinkACL = append(sinkACL, topicACL(article.EnrichedTopic, kmsg.ACLOperationRead)...)
	sinkACL = append(sinkACL, topicACL(article.DLQTopic(article.EnrichedTopic), kmsg.ACLOperationWrite)...)
	sinkACL = append(sinkACL, allow(kmsg.ACLResourceTypeGroup, article.SinkGroupBase, kmsg.ACLResourcePatternTypePrefixed, kmsg.ACLOperationRead, kmsg.ACLOperationDescribe)...)

	pwFiles := map[string]string{}
	for user, pw := range passwords {
		f := filepath.Join(dir, user+".password")
		if err := os.WriteFile(f, []byte(pw+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		pwFiles[user] = f
	}
	cfg := broker.Config{Opts: []kfake.Opt{
		kfake.TLS(serverTLS), kfake.EnableSASL(), kfake.EnableACLs(),
		kfake.Superuser(mech, "admin", passwords["admin"]),
		kfake.User(mech, "ingest", passwords["ingest"], ingestACL...),
		kfake.User(mech, "enrich", passwords["enrich"], enrichACL...),
		kfake.User(mech, "sink", passwords["sink"], sinkACL...),
	}}
	adminConn := kafka.ConnConfig{TLSCAFile: caFile, SASLMechanism: mech, SASLUsername: "admin", SASLPasswordFile: pwFiles["admin"]}
	hs, err := harness.Start(dir, binDir, cfg, adminConn)
	if err != nil {
		t.Fatal(err)
	}
	s := &stack{Stack: hs, t: t}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("process logs:\n%s", hs.Logs(4000))
		}
		hs.Close()
	})
	as := func(user string) []string {
		return []string{
			"NEWSFLOW_KAFKA_TLS_CA_FILE=" + caFile, "NEWSFLOW_KAFKA_SASL_MECHANISM=" + mech,
			"NEWSFLOW_KAFKA_SASL_USERNAME=" + user, "NEWSFLOW_KAFKA_SASL_PASSWORD_FILE=" + pwFiles[user],
		}
	}

	const n = 60
	input, _ := writeArticles(t, dir, "articles.jsonl", 31, n, 800)
	db := filepath.Join(dir, "newsflow.db")
	if _, err := s.StartServiceEnv("enrich", "enrich", as("enrich")); err != nil {
		t.Fatal(err)
	}
	if _, err := s.StartServiceEnv("sink", "sink", as("sink"), "-to", "sqlite:"+db); err != nil {
		t.Fatal(err)
	}
	if out, err := s.RunEnv("ingest", as("ingest"), input); err != nil {
		t.Fatalf("ingest as its own user: %v\n%s", err, out)
	}
	s.waitCaughtUp(2*time.Minute, map[string]int64{article.EnrichedTopic: n},
		map[string]string{article.EnrichGroup: article.RawTopic, "newsflow-sink-sqlite": article.EnrichedTopic})
	if rows, _ := rowCount(t, db); rows != n {
		t.Errorf("sink holds %d rows, want %d", rows, n)
	}

	failFast := func(name string, env []string, args []string, want string) {
		t.Helper()
		start := time.Now()
		_, err := s.RunEnv("ingest", env, args...)
		took := time.Since(start)
		if err == nil {
			t.Fatalf("%s: ingest succeeded", name)
		}
		if !strings.Contains(strings.ToLower(err.Error()), want) {
			t.Errorf("%s: the error does not say %q:\n%v", name, want, err)
		}
		if took > 20*time.Second {
			t.Errorf("%s: took %s to fail", name, took)
		}
	}
	wrong := filepath.Join(dir, "wrong.password")
	os.WriteFile(wrong, []byte("guess"), 0o600)
	wrongEnv := append(as("ingest"), "NEWSFLOW_KAFKA_SASL_PASSWORD_FILE="+wrong)
	failFast("wrong password", wrongEnv, []string{input}, "sasl authentication failed")
	failFast("forbidden topic", as("ingest"), []string{"-topic", article.EnrichedTopic, input}, "authorization")

	// Secrets come from files and never reach a log or the printed config.
	printed, err := s.RunEnv("enrich", append(as("enrich"), "NEWSFLOW_KAFKA_SASL_PASSWORD=inline-s3cret"), "-print-config")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(printed, "NEWSFLOW_KAFKA_SASL_PASSWORD=REDACTED") {
		t.Errorf("the printed configuration does not redact the password:\n%s", printed)
	}
	logs := hs.Logs(1 << 30)
	for _, pw := range append([]string{"inline-s3cret"}, passwords["enrich"], passwords["sink"], passwords["ingest"]) {
		if strings.Contains(logs+printed, pw) {
			t.Errorf("a password appears in the logs or the printed configuration")
		}
	}
}
