// Package duck opens deni's DuckDB connections: one in-memory database with
// one connection, offline. Extension auto-install and auto-load are off and
// the extension directory is a private folder, so a stray http/S3 path fails
// fast instead of trying to download anything; only DuckDB's built-in readers
// and writers (csv, json, parquet) are used.
//
// The data layer (dataset files) and the analysis package (result files)
// both open DuckDB here, so the offline settings cannot drift apart. A leaf
// package: it imports the DuckDB driver and nothing of deni.
package duck

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/duckdb/duckdb-go/v2"
)

// DB is one in-memory DuckDB database with one connection. Conn is the
// connection every query of the session goes through: DuckDB's temporary
// views and settings belong to a connection.
type DB struct {
	connector *duckdb.Connector
	db        *sql.DB
	Conn      *sql.Conn
}

// ExtensionDir is the private extension_directory of deni's DuckDB
// connections. Nothing is ever installed there (auto-install is off).
func ExtensionDir() string {
	return filepath.Join(os.TempDir(), "deni-duckdb-extensions")
}

// offlineSettings are the statements every connection runs first.
func offlineSettings() []string {
	return []string{
		"SET autoinstall_known_extensions=false",
		"SET autoload_known_extensions=false",
		"SET extension_directory=" + quote(ExtensionDir()),
	}
}

// Open opens an offline in-memory DuckDB connection and runs settings (SET
// statements) on it after the offline ones.
func Open(ctx context.Context, settings ...string) (*DB, error) {
	init := func(execer driver.ExecerContext) error {
		for _, q := range append(offlineSettings(), settings...) {
			if _, err := execer.ExecContext(ctx, q, nil); err != nil {
				return fmt.Errorf("configure DuckDB (%s): %w", q, err)
			}
		}
		return nil
	}
	c, err := duckdb.NewConnector("", init)
	if err != nil {
		return nil, fmt.Errorf("open DuckDB: %w", err)
	}
	db := sql.OpenDB(c)
	conn, err := db.Conn(ctx)
	if err != nil {
		db.Close()
		c.Close()
		return nil, fmt.Errorf("open DuckDB connection: %w", err)
	}
	return &DB{connector: c, db: db, Conn: conn}, nil
}

// Close releases the connection and the database.
func (d *DB) Close() error {
	return errors.Join(d.Conn.Close(), d.db.Close(), d.connector.Close())
}

// quote quotes s as a SQL string literal.
func quote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}
