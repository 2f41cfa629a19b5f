package kafka_test

import (
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/ThreeDotsLabs/watermill/pubsub/tests"

	"github.com/newsflow/newsflow/pkg/broker"
	"github.com/newsflow/newsflow/pkg/kafka"
)

// testBroker is the embedded broker shared by the tests in this package. A
// SIGUSR1 to the test process restarts it on the same port and data
// directory; that is the RestartServiceCommand of the universal suite.
var testBroker struct {
	sync.Mutex
	b   *broker.Broker
	cfg broker.Config
}

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "newsflow-kafka-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	testBroker.cfg = broker.Config{Addr: "127.0.0.1:0", DataDir: dir}
	b, err := broker.Start(testBroker.cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	testBroker.b = b
	testBroker.cfg.Addr = b.Addr()

	restart := make(chan os.Signal, 1)
	signal.Notify(restart, syscall.SIGUSR1)
	go func() {
		for range restart {
			if err := restartBroker(500 * time.Millisecond); err != nil {
				fmt.Fprintln(os.Stderr, "restarting broker:", err)
				os.Exit(1)
			}
		}
	}()

	code := m.Run()
	signal.Stop(restart)
	testBroker.Lock()
	testBroker.b.Close()
	testBroker.Unlock()
	os.RemoveAll(dir)
	os.Exit(code)
}

// restartBroker stops the test broker and starts it again on the same port
// and data directory after down, which clients need to see it gone.
func restartBroker(down time.Duration) error {
	testBroker.Lock()
	defer testBroker.Unlock()
	testBroker.b.Close()
	time.Sleep(down)
	nb, err := broker.Start(testBroker.cfg)
	if err != nil {
		return err
	}
	testBroker.b = nb
	return nil
}

func brokers() []string { return []string{testBroker.cfg.Addr} }

func logger() watermill.LoggerAdapter {
	if os.Getenv("NEWSFLOW_TEST_DEBUG") != "" {
		return watermill.NewStdLogger(true, false)
	}
	return watermill.NopLogger{}
}

func newPubSub(t *testing.T, group string, marshaler kafka.DefaultMarshaler) (message.Publisher, message.Subscriber) {
	t.Helper()
	conn := kafka.ConnConfig{Brokers: brokers()}
	pub, err := kafka.NewPublisher(kafka.PublisherConfig{Conn: conn, Marshaler: marshaler}, logger())
	if err != nil {
		t.Fatal(err)
	}
	sub, err := kafka.NewSubscriber(kafka.SubscriberConfig{
		Conn:            conn,
		ConsumerGroup:   group,
		Unmarshaler:     marshaler,
		InitializeTopic: kafka.TopicSpec{Partitions: 12},
		// The suite nacks hundreds of times in a row; the production pause
		// (100 ms) would only make it slow.
		NackResendSleep: 20 * time.Millisecond,
	}, logger())
	if err != nil {
		t.Fatal(err)
	}
	return pub, sub
}

// initializedSubscriber is a subscriber on the test broker with cfg, its
// topic created, closed when the test ends.
func initializedSubscriber(t *testing.T, topic string, cfg kafka.SubscriberConfig) *kafka.Subscriber {
	t.Helper()
	cfg.Conn = kafka.ConnConfig{Brokers: brokers()}
	sub, err := kafka.NewSubscriber(cfg, logger())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sub.Close() })
	if err := sub.SubscribeInitialize(topic); err != nil {
		t.Fatal(err)
	}
	return sub
}

// groupOf gives each test of the suite its own consumer group (the test name
// carries the suite's test id), so parallel tests do not rebalance each other.
func groupOf(t *testing.T) string {
	return "cg-" + strings.NewReplacer("/", "-", " ", "-").Replace(t.Name())
}

// The flags say what the adapter guarantees:
//   - ConsumerGroups: members of a group share the partitions.
//   - ExactlyOnceDelivery false: delivery is at-least-once; a crash or
//     rebalance redelivers what was acknowledged but not yet committed.
//   - GuaranteedOrder false here: messages without a key are spread over
//     partitions at random, and order holds only within a partition.
//   - Persistent: messages outlive the publisher and subscriber.
//   - NewSubscriberReceivesOldMessages false: a new member of a group starts
//     at the group's committed offsets, not at the beginning.
//   - RestartServiceCommand: restarts the embedded broker (see TestMain), so
//     TestReconnect runs for real.
func TestPubSub(t *testing.T) {
	features := tests.Features{
		ConsumerGroups:        true,
		ExactlyOnceDelivery:   false,
		GuaranteedOrder:       false,
		Persistent:            true,
		RestartServiceCommand: []string{"kill", "-USR1", strconv.Itoa(os.Getpid())},
	}
	tests.TestPubSub(t, features,
		func(t *testing.T) (message.Publisher, message.Subscriber) {
			return newPubSub(t, groupOf(t), kafka.DefaultMarshaler{})
		},
		func(t *testing.T, group string) (message.Publisher, message.Subscriber) {
			return newPubSub(t, group, kafka.DefaultMarshaler{})
		},
	)
}

// With one key for every message, all of them share a partition, and the
// adapter guarantees their order: a partition hands out the next message with
// the same key only after the previous one is acknowledged, even with several
// subscribers in the group. TestReconnect is left to TestPubSub (no restart
// command here): one broker restart test is enough.
func TestPubSubOrdered(t *testing.T) {
	if testing.Short() {
		t.Skip("the ordered suite repeats the universal suite")
	}
	sameKey := kafka.DefaultMarshaler{KeyFunc: func(string, *message.Message) []byte { return []byte("one-key") }}
	features := tests.Features{
		ConsumerGroups:      true,
		ExactlyOnceDelivery: false,
		GuaranteedOrder:     true,
		Persistent:          true,
	}
	tests.TestPubSub(t, features,
		func(t *testing.T) (message.Publisher, message.Subscriber) {
			return newPubSub(t, groupOf(t), sameKey)
		},
		func(t *testing.T, group string) (message.Publisher, message.Subscriber) {
			return newPubSub(t, group, sameKey)
		},
	)
}
