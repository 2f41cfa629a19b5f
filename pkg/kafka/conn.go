// Package kafka is newsflow's watermill Publisher and Subscriber on
// segmentio/kafka-go, plus the admin calls the services need (topic creation,
// offsets, lag). Watermill's own Kafka adapter uses Sarama; this one keeps
// one Kafka client across the project.
package kafka

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"strings"
	"time"

	kafkago "github.com/segmentio/kafka-go"
	"github.com/segmentio/kafka-go/sasl"
	"github.com/segmentio/kafka-go/sasl/plain"
	"github.com/segmentio/kafka-go/sasl/scram"

	"github.com/newsflow/newsflow/pkg/config"
)

// ConnConfig says how to reach and authenticate to the Kafka cluster.
type ConnConfig struct {
	Brokers  []string
	ClientID string

	// TLS is on when TLS is true or any TLS file is given.
	TLS                   bool
	TLSCAFile             string
	TLSCertFile           string
	TLSKeyFile            string
	TLSInsecureSkipVerify bool

	// SASLMechanism is PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512; empty for none.
	// The password comes from SASLPassword or, better, SASLPasswordFile.
	SASLMechanism    string
	SASLUsername     string
	SASLPassword     string
	SASLPasswordFile string

	DialTimeout time.Duration
}

// RegisterFlags adds the connection settings to fs, with c's values as defaults.
func (c *ConnConfig) RegisterFlags(fs *flag.FlagSet) {
	config.ListVar(fs, &c.Brokers, "kafka-brokers", "Kafka bootstrap brokers, host:port, comma-separated")
	fs.StringVar(&c.ClientID, "kafka-client-id", c.ClientID, "client id sent to the brokers")
	fs.BoolVar(&c.TLS, "kafka-tls", c.TLS, "connect with TLS")
	fs.StringVar(&c.TLSCAFile, "kafka-tls-ca-file", c.TLSCAFile, "PEM file of CA certificates to trust")
	fs.StringVar(&c.TLSCertFile, "kafka-tls-cert-file", c.TLSCertFile, "PEM client certificate for mutual TLS")
	fs.StringVar(&c.TLSKeyFile, "kafka-tls-key-file", c.TLSKeyFile, "PEM client key for mutual TLS")
	fs.BoolVar(&c.TLSInsecureSkipVerify, "kafka-tls-insecure-skip-verify", c.TLSInsecureSkipVerify, "do not verify the broker certificate (testing only)")
	fs.StringVar(&c.SASLMechanism, "kafka-sasl-mechanism", c.SASLMechanism, "SASL mechanism: PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512 (empty: none)")
	fs.StringVar(&c.SASLUsername, "kafka-sasl-username", c.SASLUsername, "SASL user name")
	fs.StringVar(&c.SASLPassword, "kafka-sasl-password", c.SASLPassword, "SASL password (prefer -kafka-sasl-password-file)")
	fs.StringVar(&c.SASLPasswordFile, "kafka-sasl-password-file", c.SASLPasswordFile, "file holding the SASL password")
	fs.DurationVar(&c.DialTimeout, "kafka-dial-timeout", 10*time.Second, "timeout for connecting to a broker")
}

// Validate reports every mistake in the connection settings.
func (c *ConnConfig) Validate() error {
	var errs []error
	if len(c.Brokers) == 0 {
		errs = append(errs, errors.New("kafka-brokers: at least one broker is required"))
	}
	for _, b := range c.Brokers {
		if _, port, err := net.SplitHostPort(b); err != nil || port == "" {
			errs = append(errs, fmt.Errorf("kafka-brokers: %q is not host:port", b))
		}
	}
	switch strings.ToUpper(c.SASLMechanism) {
	case "":
	case "PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512":
		if c.SASLUsername == "" {
			errs = append(errs, errors.New("kafka-sasl-username: required with a SASL mechanism"))
		}
		if c.SASLPassword == "" && c.SASLPasswordFile == "" {
			errs = append(errs, errors.New("kafka-sasl-password-file: a password is required with a SASL mechanism"))
		}
	default:
		errs = append(errs, fmt.Errorf("kafka-sasl-mechanism: %q is not PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512", c.SASLMechanism))
	}
	if (c.TLSCertFile == "") != (c.TLSKeyFile == "") {
		errs = append(errs, errors.New("kafka-tls-cert-file and kafka-tls-key-file go together"))
	}
	return errors.Join(errs...)
}

// tlsConfig loads the TLS settings; nil when TLS is off.
func (c *ConnConfig) tlsConfig() (*tls.Config, error) {
	if !c.TLS && c.TLSCAFile == "" && c.TLSCertFile == "" {
		return nil, nil
	}
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: c.TLSInsecureSkipVerify} //nolint:gosec // opt-in, for testing
	if c.TLSCAFile != "" {
		pem, err := os.ReadFile(c.TLSCAFile)
		if err != nil {
			return nil, fmt.Errorf("reading kafka CA file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("kafka CA file %s holds no PEM certificates", c.TLSCAFile)
		}
		cfg.RootCAs = pool
	}
	if c.TLSCertFile != "" {
		cert, err := tls.LoadX509KeyPair(c.TLSCertFile, c.TLSKeyFile)
		if err != nil {
			return nil, fmt.Errorf("loading kafka client certificate: %w", err)
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	return cfg, nil
}

// saslMechanism builds the SASL mechanism; nil when SASL is off.
func (c *ConnConfig) saslMechanism() (sasl.Mechanism, error) {
	if c.SASLMechanism == "" {
		return nil, nil
	}
	password := c.SASLPassword
	if c.SASLPasswordFile != "" {
		b, err := os.ReadFile(c.SASLPasswordFile)
		if err != nil {
			return nil, fmt.Errorf("reading kafka SASL password file: %w", err)
		}
		password = strings.TrimRight(string(b), "\r\n")
	}
	switch strings.ToUpper(c.SASLMechanism) {
	case "PLAIN":
		return plain.Mechanism{Username: c.SASLUsername, Password: password}, nil
	case "SCRAM-SHA-256":
		return scram.Mechanism(scram.SHA256, c.SASLUsername, password)
	case "SCRAM-SHA-512":
		return scram.Mechanism(scram.SHA512, c.SASLUsername, password)
	}
	return nil, fmt.Errorf("kafka SASL mechanism %q is not supported", c.SASLMechanism)
}

// conn is a resolved connection: the pieces kafka-go's consumer groups,
// writers and clients take.
type conn struct {
	brokers   []string
	dialer    *kafkago.Dialer
	transport *kafkago.Transport
}

func (c *ConnConfig) resolve() (*conn, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	tlsCfg, err := c.tlsConfig()
	if err != nil {
		return nil, err
	}
	mech, err := c.saslMechanism()
	if err != nil {
		return nil, err
	}
	timeout := c.DialTimeout
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	clientID := c.ClientID
	if clientID == "" {
		clientID = "newsflow"
	}
	return &conn{
		brokers: c.Brokers,
		dialer: &kafkago.Dialer{
			ClientID: clientID, Timeout: timeout, DualStack: true,
			TLS: tlsCfg, SASLMechanism: mech, KeepAlive: 30 * time.Second,
		},
		transport: &kafkago.Transport{
			ClientID: clientID, DialTimeout: timeout, TLS: tlsCfg, SASL: mech,
			MetadataTTL: metadataTTL, IdleTimeout: 60 * time.Second,
		},
	}, nil
}

// metadataTTL is how long a transport serves the cluster's metadata from
// its cache. A topic another client creates stays unknown to it that long
// (Publisher.writeGroup waits it out), so it is short: one small request
// every two seconds per client.
const metadataTTL = 2 * time.Second

func (c *conn) client() *kafkago.Client {
	return &kafkago.Client{Addr: kafkago.TCP(c.brokers...), Transport: c.transport, Timeout: 30 * time.Second}
}
