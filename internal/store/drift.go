package store

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"time"
)

// Drifts keeps the drift reports of containers and hosts (customs drift
// with a store, docs/drift.md), so that customs history shows them beside
// the snapshots of the images and hosts they drifted from.
type Drifts interface {
	// RecordDrift keeps one drift report. Its subject is the stored
	// subject it concerns: a host by its machine-id (TargetID), else the
	// subject of AgainstSnapshot, else the image whose image ID is
	// AgainstImageID; none when the store holds neither.
	RecordDrift(ctx context.Context, in DriftInput) (DriftRecord, error)
	// Drifts returns the drift reports about what name names, oldest
	// first, without their documents: the subjects History finds by
	// name, the containers of the image whose ID is name, and the
	// containers and hosts of that name or ID (a container ID may be
	// given by a prefix of 12 characters or more).
	Drifts(ctx context.Context, name string) ([]DriftRecord, error)
	// DriftReport returns one drift report as it was recorded (its JSON),
	// ErrNotFound when the store has no such report.
	DriftReport(ctx context.Context, id int64) (json.RawMessage, error)
}

// DriftInput is one drift report to record.
type DriftInput struct {
	// Record says what the report is about; ID, Subject and RecordedAt
	// are the store's to set.
	Record DriftRecord
	// Report is the report's JSON (a drift.Report), kept compressed.
	Report json.RawMessage
	// Now is the time of recording; zero takes time.Now.
	Now time.Time
}

// DriftRecord is a recorded drift report: what drifted, from what, and how
// much, by severity and kind.
type DriftRecord struct {
	ID int64 `json:"id"`
	// Subject is the stored image or host the drift concerns, when the
	// store holds it.
	Subject *Subject `json:"subject,omitempty"`
	// TargetKind is "container" or "host"; TargetRef the target as named
	// ("docker:web", "dir:/"); TargetID a container's ID or a host's
	// machine-id; TargetName a container's or host's name.
	TargetKind string `json:"targetKind"`
	TargetRef  string `json:"targetRef"`
	TargetID   string `json:"targetID,omitempty"`
	TargetName string `json:"targetName,omitempty"`
	// AgainstRef and AgainstKind ("image", "snapshot") say what the target
	// was compared with; AgainstImageID is that image's ID, and
	// AgainstSnapshot the stored snapshot compared with, if any.
	AgainstRef      string    `json:"againstRef"`
	AgainstKind     string    `json:"againstKind"`
	AgainstImageID  string    `json:"againstImageID,omitempty"`
	AgainstSnapshot int64     `json:"againstSnapshot,omitempty"`
	CreatedAt       time.Time `json:"createdAt"`
	RecordedAt      time.Time `json:"recordedAt"`
	Tool            string    `json:"tool"`
	// Items counts the report's drift items; BySeverity and ByKind count
	// them by severity and kind.
	Items      int            `json:"items"`
	BySeverity map[string]int `json:"bySeverity"`
	ByKind     map[string]int `json:"byKind"`
}

// CompressDrift is a drift report's JSON as the store keeps it.
func CompressDrift(data []byte) ([]byte, error) {
	var b bytes.Buffer
	zw, err := gzip.NewWriterLevel(&b, gzip.BestSpeed)
	if err != nil {
		return nil, err
	}
	if _, err := zw.Write(data); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// DecompressDrift reads what CompressDrift kept.
func DecompressDrift(data []byte) (json.RawMessage, error) {
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("stored drift report: %w", err)
	}
	out, err := io.ReadAll(zr)
	if err != nil {
		return nil, fmt.Errorf("stored drift report: %w", err)
	}
	return out, nil
}
