package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/customs-scanner/customs/internal/store"
)

// driftSummary is the drift table's summary column.
type driftSummary struct {
	BySeverity map[string]int `json:"bySeverity"`
	ByKind     map[string]int `json:"byKind"`
}

// RecordDrift keeps one drift report, under the subject it concerns when
// the store holds it.
func (s *Store) RecordDrift(ctx context.Context, in store.DriftInput) (store.DriftRecord, error) {
	rec := in.Record
	if rec.TargetKind == "" || rec.TargetRef == "" {
		return rec, fmt.Errorf("record drift: the report names no target")
	}
	if !json.Valid(in.Report) {
		return rec, fmt.Errorf("record drift of %s: the report is not JSON", rec.TargetRef)
	}
	data, err := store.CompressDrift(in.Report)
	if err != nil {
		return rec, err
	}
	if rec.BySeverity == nil {
		rec.BySeverity = map[string]int{}
	}
	if rec.ByKind == nil {
		rec.ByKind = map[string]int{}
	}
	summary, err := json.Marshal(driftSummary{BySeverity: rec.BySeverity, ByKind: rec.ByKind})
	if err != nil {
		return rec, err
	}
	rec.RecordedAt = in.Now.UTC()
	if in.Now.IsZero() {
		rec.RecordedAt = time.Now().UTC()
	}
	if rec.CreatedAt.IsZero() {
		rec.CreatedAt = rec.RecordedAt
	}
	var subject sql.NullInt64
	err = s.write(ctx, func(tx *sql.Tx) error {
		subject, err = s.driftSubject(ctx, tx, rec)
		if err != nil {
			return err
		}
		var snap any
		if rec.AgainstSnapshot != 0 {
			snap = rec.AgainstSnapshot
		}
		return tx.QueryRowContext(ctx, s.q(`INSERT INTO drift (subject, target_kind, target_ref, target_id, target_name, against_ref, against_kind,
			against_image_id, against_snapshot, created_at, recorded_at, tool, items, summary, data)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`),
			subject, rec.TargetKind, rec.TargetRef, rec.TargetID, rec.TargetName, rec.AgainstRef, rec.AgainstKind,
			rec.AgainstImageID, snap, s.d.Time(rec.CreatedAt), s.d.Time(rec.RecordedAt), rec.Tool, rec.Items, string(summary), data).Scan(&rec.ID)
	})
	if err != nil {
		return rec, fmt.Errorf("record drift of %s in store %s: %w", rec.TargetRef, s.name, err)
	}
	if subject.Valid {
		subjects, err := s.subjects(ctx, []int64{subject.Int64})
		if err != nil {
			return rec, err
		}
		sj := subjects[subject.Int64]
		rec.Subject = &sj
	}
	return rec, nil
}

// driftSubject finds the subject a drift report concerns: a host by its
// machine-id, else the subject of the snapshot compared with, else the
// image seen last with the image ID compared with.
func (s *Store) driftSubject(ctx context.Context, tx *sql.Tx, rec store.DriftRecord) (sql.NullInt64, error) {
	var id sql.NullInt64
	var err error
	switch {
	case rec.TargetKind == "host" && rec.TargetID != "":
		err = tx.QueryRowContext(ctx, s.q(`SELECT id FROM subject WHERE kind = 'host' AND key = ?`), rec.TargetID).Scan(&id)
	case rec.AgainstSnapshot != 0:
		err = tx.QueryRowContext(ctx, s.q(`SELECT subject FROM snapshot WHERE id = ?`), rec.AgainstSnapshot).Scan(&id)
	case rec.AgainstImageID != "":
		err = tx.QueryRowContext(ctx, s.q(`SELECT id FROM subject WHERE kind = 'image' AND config_digest = ? ORDER BY last_seen DESC, id DESC LIMIT 1`),
			rec.AgainstImageID).Scan(&id)
	}
	if err == sql.ErrNoRows {
		return sql.NullInt64{}, nil
	}
	return id, err
}

// Drifts returns the drift reports about the subjects name names, the
// containers of the image of that ID, or the containers and hosts of that
// name or ID, oldest first.
func (s *Store) Drifts(ctx context.Context, name string) ([]store.DriftRecord, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		return nil, nil
	}
	ids, err := s.named(ctx, name)
	if err != nil {
		return nil, err
	}
	where := `target_name = ? OR target_id = ? OR against_image_id = ? OR against_image_id = ?`
	args := []any{name, name, name, "sha256:" + name}
	if len(name) >= 12 && strings.Trim(name, "0123456789abcdef") == "" {
		where += ` OR target_id LIKE ?`
		args = append(args, name+"%")
	}
	if len(ids) > 0 {
		where += ` OR subject IN (` + placeholders(len(ids)) + `)`
		args = append(args, anys(ids)...)
	}
	var out []store.DriftRecord
	var subjectIDs []int64
	subjectOf := map[int]int64{}
	err = s.query(ctx, `SELECT id, subject, target_kind, target_ref, target_id, target_name, against_ref, against_kind, against_image_id,
		against_snapshot, created_at, recorded_at, tool, items, summary FROM drift WHERE `+where+` ORDER BY id`, args, func(r *sql.Rows) error {
		var rec store.DriftRecord
		var subject, snap sql.NullInt64
		var created, recorded timeValue
		var summary string
		if err := r.Scan(&rec.ID, &subject, &rec.TargetKind, &rec.TargetRef, &rec.TargetID, &rec.TargetName, &rec.AgainstRef, &rec.AgainstKind,
			&rec.AgainstImageID, &snap, &created, &recorded, &rec.Tool, &rec.Items, &summary); err != nil {
			return err
		}
		var sum driftSummary
		if err := json.Unmarshal([]byte(summary), &sum); err != nil {
			return fmt.Errorf("drift %d summary: %w", rec.ID, err)
		}
		rec.BySeverity, rec.ByKind = sum.BySeverity, sum.ByKind
		rec.AgainstSnapshot, rec.CreatedAt, rec.RecordedAt = snap.Int64, created.t, recorded.t
		if subject.Valid {
			subjectOf[len(out)] = subject.Int64
			subjectIDs = append(subjectIDs, subject.Int64)
		}
		out = append(out, rec)
		return nil
	})
	if err != nil || len(subjectIDs) == 0 {
		return out, err
	}
	subjects, err := s.subjects(ctx, subjectIDs)
	if err != nil {
		return nil, err
	}
	for i, id := range subjectOf {
		sj := subjects[id]
		out[i].Subject = &sj
	}
	return out, nil
}

// DriftReport returns one recorded drift report's JSON.
func (s *Store) DriftReport(ctx context.Context, id int64) (json.RawMessage, error) {
	var data []byte
	err := s.db.QueryRowContext(ctx, s.q(`SELECT data FROM drift WHERE id = ?`), id).Scan(&data)
	if err == sql.ErrNoRows {
		return nil, fmt.Errorf("drift report %d: %w", id, store.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("store %s: drift report %d: %w", s.name, id, err)
	}
	return store.DecompressDrift(data)
}
