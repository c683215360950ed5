//go:build race

package encoding

// raceEnabled is true when the tests run under the race detector, which
// slows the pure-Go kernels about tenfold; the largest property cases then
// run only in the test command's non-race step.
const raceEnabled = true
