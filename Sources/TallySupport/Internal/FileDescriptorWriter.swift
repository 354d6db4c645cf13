#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes all of `text` to `fileDescriptor` with as few `write(2)` calls as the kernel
/// allows, retrying after `EINTR` and after partial writes.
///
/// Returns the `errno` of the failed call, or nil when every byte was written. A pipe
/// takes a write of up to `PIPE_BUF` bytes (4096 on Linux) in one piece, so one call per
/// line keeps lines from different processes apart up to that length.
@discardableResult
func writeFully(_ text: String, to fileDescriptor: Int32) -> Int32? {
    var text = text
    return text.withUTF8 { buffer -> Int32? in
        guard var address = buffer.baseAddress else { return nil }
        var remaining = buffer.count

        while remaining > 0 {
            let written = write(fileDescriptor, address, remaining)
            if written < 0 {
                if errno == EINTR { continue }
                return errno
            }
            address += written
            remaining -= written
        }
        return nil
    }
}
