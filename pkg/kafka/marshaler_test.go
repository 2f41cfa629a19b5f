package kafka

import (
	"testing"

	"github.com/ThreeDotsLabs/watermill/message"
	kafkago "github.com/segmentio/kafka-go"
)

func TestMarshalerRoundTrip(t *testing.T) {
	tests := []struct {
		name    string
		md      map[string]string
		keyFunc func(string, *message.Message) []byte
		wantKey string
	}{
		{name: "keyed by article id", md: map[string]string{"article_id": "abc", "source": "file:x"}, wantKey: "abc"},
		{name: "no id: no key", md: map[string]string{"source": "file:x"}},
		{name: "key function wins", md: map[string]string{"article_id": "abc"}, keyFunc: func(string, *message.Message) []byte { return []byte("k") }, wantKey: "k"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := DefaultMarshaler{KeyFunc: tt.keyFunc}
			msg := message.NewMessage("uuid-1", []byte("payload"))
			for k, v := range tt.md {
				msg.Metadata.Set(k, v)
			}
			km, err := m.Marshal("t", msg)
			if err != nil {
				t.Fatal(err)
			}
			if string(km.Key) != tt.wantKey {
				t.Errorf("key = %q, want %q", km.Key, tt.wantKey)
			}
			back, err := m.Unmarshal(km)
			if err != nil {
				t.Fatal(err)
			}
			if back.UUID != "uuid-1" || string(back.Payload) != "payload" {
				t.Errorf("round trip gave %s %q", back.UUID, back.Payload)
			}
			for k, v := range tt.md {
				if back.Metadata.Get(k) != v {
					t.Errorf("metadata %s = %q, want %q", k, back.Metadata.Get(k), v)
				}
			}
		})
	}
}

// Messages from other producers (kcat, Java) arrive with any headers and
// keys; unmarshaling must never fail or lose the key.
func FuzzUnmarshal(f *testing.F) {
	f.Add([]byte("key"), []byte("value"), "h", []byte("v"))
	f.Add([]byte(nil), []byte(nil), UUIDHeader, []byte(""))
	f.Fuzz(func(t *testing.T, key, value []byte, hk string, hv []byte) {
		msg, err := DefaultMarshaler{}.Unmarshal(kafkago.Message{Key: key, Value: value, Headers: []kafkago.Header{{Key: hk, Value: hv}}})
		if err != nil {
			t.Fatal(err)
		}
		if len(key) > 0 && msg.Metadata.Get(KeyMetadata) == "" && hk != KeyMetadata {
			t.Fatalf("key %q lost", key)
		}
		if string(msg.Payload) != string(value) {
			t.Fatal("payload changed")
		}
	})
}
