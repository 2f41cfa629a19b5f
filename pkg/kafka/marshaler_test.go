package kafka

import (
	"maps"
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

// FuzzRoundTrip marshals a message with several metadata entries and reads
// it back: UUID, metadata and payload survive unchanged.
func FuzzRoundTrip(f *testing.F) {
	f.Add("uuid", "a", "1", "b", "", []byte("payload"))
	f.Add("", "", "", KeyMetadata, "id", []byte(nil))
	f.Fuzz(func(t *testing.T, uuid, k1, v1, k2, v2 string, payload []byte) {
		if k1 == UUIDHeader || k2 == UUIDHeader {
			t.Skip("the UUID header's name is reserved")
		}
		msg := message.NewMessage(uuid, payload)
		msg.Metadata.Set(k1, v1)
		msg.Metadata.Set(k2, v2)
		km, err := DefaultMarshaler{}.Marshal("t", msg)
		if err != nil {
			t.Fatal(err)
		}
		got, err := DefaultMarshaler{}.Unmarshal(km)
		if err != nil {
			t.Fatal(err)
		}
		if got.UUID != uuid || string(got.Payload) != string(payload) {
			t.Fatalf("got uuid %q payload %q, want %q %q", got.UUID, got.Payload, uuid, payload)
		}
		want := map[string]string{k1: v1, k2: v2}
		if id := msg.Metadata.Get(KeyMetadata); id != "" {
			want[KeyMetadata] = id
		}
		if !maps.Equal(map[string]string(got.Metadata), want) {
			t.Fatalf("metadata %v, want %v", got.Metadata, want)
		}
	})
}
