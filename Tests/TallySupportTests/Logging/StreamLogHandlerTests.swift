import Foundation
import Testing
@testable import TallySupport

@Suite struct StreamLogHandlerTests {
    @Test func writesOneLinePerEvent() throws {
        let pipe = Pipe()
        let logger = Logger(label: "tally.test", handler: StreamLogHandler(fileHandle: pipe.fileHandleForWriting))

        logger.info("first", metadata: ["n": "1"])
        logger.warning("second")
        try pipe.fileHandleForWriting.close()

        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let lines = output.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.count == 3)
        #expect(lines[0].hasSuffix(" level=info label=tally.test n=1 msg=first"))
        #expect(lines[1].hasSuffix(" level=warning label=tally.test msg=second"))
        #expect(lines[2].isEmpty)
    }

    @Test func threadsNeverInterleaveLines() throws {
        let pipe = Pipe()
        let handler = StreamLogHandler(fileHandle: pipe.fileHandleForWriting, format: .json)
        let threadCount = 8
        let linesPerThread = 200
        // Longer than PIPE_BUF (4096 bytes on Linux), so the kernel may split a write and
        // only the handler's lock keeps lines whole.
        let padding = String(repeating: "x", count: 6000)

        // Read on a thread of its own so writers never block on a full pipe buffer.
        let readHandle = pipe.fileHandleForReading
        let received = LockedState(Data())
        let readFinished = DispatchSemaphore(value: 0)
        Thread {
            let data = readHandle.readDataToEndOfFile()
            received.withLock { $0 = data }
            readFinished.signal()
        }.start()

        DispatchQueue.concurrentPerform(iterations: threadCount) { thread in
            let logger = Logger(label: "tally.thread", handler: handler)
            for index in 0..<linesPerThread {
                logger.info("event", metadata: [
                    "thread": .stringConvertible(thread),
                    "index": .stringConvertible(index),
                    "padding": .string(padding),
                ])
            }
        }
        try pipe.fileHandleForWriting.close()

        readFinished.wait()
        let data = received.withLock { $0 }
        let lines = String(decoding: data, as: UTF8.self).split(separator: "\n")
        #expect(lines.count == threadCount * linesPerThread)

        var seen = Set<String>()
        for line in lines {
            let object = try #require(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            let thread = try #require(object["thread"] as? Int)
            let index = try #require(object["index"] as? Int)
            #expect(object["padding"] as? String == padding)
            seen.insert("\(thread)/\(index)")
        }
        #expect(seen.count == threadCount * linesPerThread)
    }
}
