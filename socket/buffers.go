package socket

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"net/http"
)

// bufferSize is the size of each connection's read and write buffers. They
// hold a frame header or a small message; larger ones go through in
// pieces or directly. net/http's own are 4 KiB each, and an idle
// connection keeps its buffers for as long as it is open.
const bufferSize = 1024

// smallBuffers hands coder/websocket the hijacked connection with buffers of
// bufferSize instead of net/http's.
type smallBuffers struct{ http.ResponseWriter }

// Hijack implements http.Hijacker.
func (w smallBuffers) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	conn, brw, err := http.NewResponseController(w.ResponseWriter).Hijack()
	if err != nil {
		return nil, nil, err
	}
	if err := brw.Writer.Flush(); err != nil { // the 101 response, if still there
		conn.Close()
		return nil, nil, err
	}
	// Bytes the client sent right after the handshake are already in the
	// old reader: the new one takes them into its own buffer, which is
	// where coder/websocket looks for them.
	pending, _ := brw.Reader.Peek(brw.Reader.Buffered())
	pending = bytes.Clone(pending)
	br := bufio.NewReaderSize(io.MultiReader(bytes.NewReader(pending), conn), max(bufferSize, len(pending)))
	if _, err := br.Peek(len(pending)); err != nil {
		conn.Close()
		return nil, nil, err
	}
	return conn, bufio.NewReadWriter(br, bufio.NewWriterSize(conn, bufferSize)), nil
}
