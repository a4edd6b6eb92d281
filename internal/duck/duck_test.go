package duck

import (
	"context"
	"strings"
	"testing"
)

func TestOpenIsOffline(t *testing.T) {
	ctx := context.Background()
	d, err := Open(ctx, "SET preserve_insertion_order=true")
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	var install, load, dir, order string
	err = d.Conn.QueryRowContext(ctx, `SELECT
		CAST(current_setting('autoinstall_known_extensions') AS VARCHAR),
		CAST(current_setting('autoload_known_extensions') AS VARCHAR),
		current_setting('extension_directory'),
		CAST(current_setting('preserve_insertion_order') AS VARCHAR)`).Scan(&install, &load, &dir, &order)
	if err != nil {
		t.Fatal(err)
	}
	if install != "false" || load != "false" || dir != ExtensionDir() || order != "true" {
		t.Fatalf("settings: autoinstall %s, autoload %s, extension_directory %s, preserve_insertion_order %s",
			install, load, dir, order)
	}
	// A remote path must fail at once (httpfs is neither installed nor
	// loaded), not try the network.
	if _, err := d.Conn.ExecContext(ctx, "SELECT * FROM read_csv('https://example.invalid/x.csv')"); err == nil {
		t.Fatal("reading an https path succeeded offline")
	}
}

func TestOpenRejectsABadSetting(t *testing.T) {
	d, err := Open(context.Background(), "SET no_such_setting=1")
	if err == nil {
		d.Close()
		t.Fatal("a bad setting was accepted")
	}
	if !strings.Contains(err.Error(), "no_such_setting") {
		t.Fatalf("error does not name the statement: %v", err)
	}
}

func TestQuote(t *testing.T) {
	if got := quote("it's"); got != "'it''s'" {
		t.Fatalf("quote: %s", got)
	}
}
