package nodeapi

import (
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"time"

	"github.com/walrus-go/walrus/crypto/netkey"
)

// ErrPinMismatch reports a server certificate whose key is not the pinned
// network key.
var ErrPinMismatch = errors.New("nodeapi: server certificate key does not match the pinned network key")

// Certificate returns a self-signed TLS certificate for a node's network
// key (§4.1), valid for the given DNS names or IP addresses. Clients pin the
// key, not the certificate, so its validity period is wide and fixed.
func Certificate(key *netkey.PrivateKey, names ...string) (tls.Certificate, error) {
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "walrus-storage-node"},
		NotBefore:             time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC),
		NotAfter:              time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
	}
	for _, n := range names {
		if ip := net.ParseIP(n); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, n)
		}
	}
	sk := key.ECDSA()
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &sk.PublicKey, sk)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("nodeapi: creating certificate: %w", err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return tls.Certificate{}, err
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: sk, Leaf: leaf}, nil
}

// ServerTLSConfig is the server side: the node's certificate, TLS 1.3,
// HTTP/2 preferred.
func ServerTLSConfig(cert tls.Certificate) *tls.Config {
	return &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS13, NextProtos: []string{"h2", "http/1.1"}}
}

// PinnedTLSConfig accepts exactly the servers whose certificate carries the
// network key pk (self-signed or not); chains and names are not checked.
func PinnedTLSConfig(pk netkey.PublicKey) *tls.Config {
	return &tls.Config{
		MinVersion:         tls.VersionTLS13,
		NextProtos:         []string{"h2", "http/1.1"},
		InsecureSkipVerify: true, // replaced by the pin check below
		VerifyPeerCertificate: func(raw [][]byte, _ [][]*x509.Certificate) error {
			if len(raw) == 0 {
				return ErrPinMismatch
			}
			c, err := x509.ParseCertificate(raw[0])
			if err != nil {
				return fmt.Errorf("%w: %v", ErrPinMismatch, err)
			}
			ek, ok := c.PublicKey.(*ecdsa.PublicKey)
			if !ok {
				return ErrPinMismatch
			}
			got, err := netkey.FromECDSA(ek)
			if err != nil || got != pk {
				return ErrPinMismatch
			}
			return nil
		},
	}
}

// PinnedTransport returns an HTTP transport speaking HTTP/2 over TLS to a
// node with network key pk.
func PinnedTransport(pk netkey.PublicKey) *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.TLSClientConfig = PinnedTLSConfig(pk)
	t.ForceAttemptHTTP2 = true
	t.MaxIdleConnsPerHost = 16
	return t
}
