// Package parquet is the Parquet format of the file sink: one row per
// article with the columns of the SQL stores, the entity mentions as a list
// of structs and the enriched article as a JSON column, zstd-compressed.
// DuckDB, pandas (pyarrow) and Spark read the files as they are. Layout,
// naming and replay rules are package files'.
package parquet

import (
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	goparquet "github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/compress/zstd"

	"github.com/newsflow/newsflow/pkg/article"
	"github.com/newsflow/newsflow/services/sink/internal/files"
	"github.com/newsflow/newsflow/services/sink/internal/store"
)

// Row is one article. Column names match the SQL stores' articles table.
type Row struct {
	ID                   string    `parquet:"id"`
	URL                  string    `parquet:"url"`
	Title                string    `parquet:"title"`
	SourceType           string    `parquet:"source_type,dict"`
	SourceName           string    `parquet:"source_name,dict"`
	SourceURI            string    `parquet:"source_uri"`
	Published            *string   `parquet:"published,optional"`
	PublishedPrecision   *string   `parquet:"published_precision,optional,dict"`
	PublishedDay         *int32    `parquet:"published_day,optional,date"` // days since 1970-01-01
	PublishedMonth       *int32    `parquet:"published_month,optional,date"`
	Language             *string   `parquet:"language,optional,dict"`
	LanguageConfidence   *float64  `parquet:"language_confidence,optional"`
	SentimentScore       *float64  `parquet:"sentiment_score,optional"`
	SentimentLabel       *string   `parquet:"sentiment_label,optional,dict"`
	SentimentConfidence  *float64  `parquet:"sentiment_confidence,optional"`
	EnrichmentVersion    string    `parquet:"enrichment_version,dict"`
	EnrichmentVersionOrd int64     `parquet:"enrichment_version_ord"`
	IngestedAt           time.Time `parquet:"ingested_at,timestamp(microsecond)"`
	EnrichedAt           time.Time `parquet:"enriched_at,timestamp(microsecond)"`
	KafkaTopic           string    `parquet:"kafka_topic,dict"`
	KafkaPartition       int32     `parquet:"kafka_partition"`
	KafkaOffset          int64     `parquet:"kafka_offset"`
	Entities             []Entity  `parquet:"entities,list"`
	Doc                  string    `parquet:"doc,json"`
}

// Entity is one entity mention, as in the SQL stores' entities table.
type Entity struct {
	Field      string   `parquet:"field,dict"`
	StartByte  int32    `parquet:"start_byte"`
	EndByte    int32    `parquet:"end_byte"`
	Type       string   `parquet:"type,dict"`
	Text       string   `parquet:"text"`
	Norm       string   `parquet:"norm"`
	Confidence *float64 `parquet:"confidence,optional"`
}

// Format writes Parquet files.
type Format struct{}

// Ext is .parquet.
func (Format) Ext() string { return ".parquet" }

// RowOf derives the row of a record.
func RowOf(r store.Record) Row {
	c := store.ColumnsOf(r)
	row := Row{
		ID: c.ID, URL: c.URL, Title: c.Title, SourceType: c.SourceType, SourceName: c.SourceName, SourceURI: c.SourceURI,
		Published: optional(c.Published), PublishedPrecision: optional(c.PublishedPrecision),
		PublishedDay: days(c.PublishedDay), PublishedMonth: days(c.PublishedMonth),
		Language: c.Language, LanguageConfidence: c.LanguageConfidence,
		SentimentScore: c.SentimentScore, SentimentLabel: c.SentimentLabel, SentimentConfidence: c.SentimentConf,
		EnrichmentVersion: c.EnrichmentVersion, EnrichmentVersionOrd: c.VersionOrd,
		IngestedAt: c.IngestedAt, EnrichedAt: c.EnrichedAt,
		KafkaTopic: c.Topic, KafkaPartition: int32(c.Partition), KafkaOffset: c.Offset,
		Doc: string(c.Doc),
	}
	if len(c.Entities) > 0 {
		row.Entities = make([]Entity, len(c.Entities))
		for i, e := range c.Entities {
			row.Entities[i] = Entity{Field: e.Field, StartByte: int32(e.Start), EndByte: int32(e.End), Type: e.Type, Text: e.Text, Norm: e.Norm, Confidence: e.Confidence}
		}
	}
	return row
}

// days is a date as the DATE type stores it. (parquet-go v0.32 writes a
// *time.Time with the date tag as a wrong day count, which DuckDB reads as
// years far off; its own reader did not notice.)
func days(t *time.Time) *int32 {
	if t == nil {
		return nil
	}
	d := int32(t.Unix() / 86400)
	return &d
}

func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

const rowGroupRows = 10_000

// Encode decodes each staged line and writes it as a row.
func (Format) Encode(w io.Writer, lines [][]byte) error {
	pw := goparquet.NewGenericWriter[Row](w, goparquet.Compression(&zstd.Codec{Level: zstd.SpeedDefault}),
		goparquet.CreatedBy("newsflow-sink", "1", ""))
	rows := make([]Row, 0, min(len(lines), rowGroupRows))
	flush := func() error {
		if _, err := pw.Write(rows); err != nil {
			return err
		}
		rows = rows[:0]
		return pw.Flush()
	}
	for _, l := range lines {
		doc, pos, err := files.SplitLine(l)
		if err != nil {
			return err
		}
		a, err := article.DecodeEnriched(doc)
		if err != nil {
			return fmt.Errorf("offset %d: %w", pos.Offset, err)
		}
		v, err := article.ParseVersion(a.Enrichment.Version)
		if err != nil {
			return fmt.Errorf("offset %d: %w", pos.Offset, err)
		}
		rows = append(rows, RowOf(store.Record{Article: &a, Version: v, Payload: doc, Topic: pos.Topic, Part: pos.Partition, Offset: pos.Offset}))
		if len(rows) == rowGroupRows {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	if len(rows) > 0 {
		if _, err := pw.Write(rows); err != nil {
			return err
		}
	}
	return pw.Close()
}

// Decode reads the rows back as staged lines.
func (Format) Decode(f *os.File) ([][]byte, error) {
	rows, err := ReadFile(f)
	if err != nil {
		return nil, err
	}
	out := make([][]byte, len(rows))
	for i, r := range rows {
		out[i] = files.Line(store.Record{Payload: []byte(r.Doc), Topic: r.KafkaTopic, Part: int(r.KafkaPartition), Offset: r.KafkaOffset})
	}
	return out, nil
}

// ReadFile reads every row of a Parquet file the format wrote.
func ReadFile(f *os.File) ([]Row, error) {
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	pf, err := goparquet.OpenFile(f, st.Size())
	if err != nil {
		return nil, err
	}
	r := goparquet.NewGenericReader[Row](pf)
	defer func() { _ = r.Close() }()
	rows := make([]Row, r.NumRows())
	n := 0
	for n < len(rows) {
		k, err := r.Read(rows[n:])
		n += k
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
	}
	return rows[:n], nil
}
