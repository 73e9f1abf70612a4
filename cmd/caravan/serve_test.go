package main

import (
	"context"
	"testing"
	"time"

	"github.com/caravan-mesh/caravan/node"
)

// A script that starts serve and at once runs another command: the command
// opens the data directory first, and serve waits for it to finish instead
// of giving up.
func TestServeWaitsForShortCommand(t *testing.T) {
	dir := t.TempDir()
	other, err := node.Open(dir, node.Options{})
	if err != nil {
		t.Fatal(err)
	}
	released := make(chan struct{})
	go func() {
		time.Sleep(500 * time.Millisecond)
		other.Close()
		close(released)
	}()
	n, err := openForServe(context.Background(), dir, node.Options{})
	if err != nil {
		t.Fatalf("serve did not wait for the other command: %v", err)
	}
	defer n.Close()
	select {
	case <-released:
	default:
		t.Fatal("serve opened the directory while another process held it")
	}
}

// Interrupting serve while it waits stops the wait.
func TestServeWaitInterrupted(t *testing.T) {
	dir := t.TempDir()
	other, err := node.Open(dir, node.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(300*time.Millisecond, cancel)
	if _, err := openForServe(ctx, dir, node.Options{}); err == nil {
		t.Fatal("opened a directory another process holds")
	}
}
