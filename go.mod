module github.com/walrus-go/walrus

go 1.26.8

require golang.org/x/crypto v0.58.0

require (
	github.com/bits-and-blooms/bitset v1.25.0 // indirect
	github.com/cloudflare/circl v1.6.1 // indirect
	github.com/consensys/gnark-crypto v0.22.0 // indirect
	github.com/klauspost/cpuid/v2 v2.3.0 // indirect
	github.com/klauspost/reedsolomon v1.14.2 // indirect
	golang.org/x/sys v0.49.0 // indirect
)
