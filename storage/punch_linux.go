package storage

import "golang.org/x/sys/unix"

// punchHole frees [off, off+length) of the file fd, keeping its size.
func punchHole(fd uintptr, off, length int64) error {
	err := unix.Fallocate(int(fd), unix.FALLOC_FL_PUNCH_HOLE|unix.FALLOC_FL_KEEP_SIZE, off, length)
	if err == unix.EOPNOTSUPP {
		return nil // the space is freed when the file is unlinked
	}
	return err
}
