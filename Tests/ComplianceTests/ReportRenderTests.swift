import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing
@testable import Compliance
import Support

/// Two policies over three days: `orders` breached by a 4-hour outage with a failed drill,
/// `billing` compliant with a passing drill.
func sampleReport() -> ComplianceReport {
    var orders = hourlyHistory(hours: 72, skip: [50, 51, 52, 53])
    orders.drills = [drill("20261102T120000Z-d001", backupID: orders.backups[30].id, start: at(36), seconds: 2400,
                           passed: true, size: orders.backups[30].compressedSize),
                     drill("20261103T120000Z-d002", backupID: orders.backups[55].id, start: at(60), seconds: 900,
                           passed: false, size: orders.backups[55].compressedSize)]
    var billing = hourlyHistory(hours: 72, rpo: 3 * 3600, rto: 3600, policy: "billing <eu>")
    billing.drills = [drill("20261102T000000Z-d003", backupID: billing.backups[20].id, start: at(24), seconds: 1200,
                            passed: true, size: billing.backups[20].compressedSize, policy: "billing <eu>")]
    return ComplianceReport(histories: [orders, billing], from: at(24), to: at(71, 30), generatedAt: at(71, 31))
}

@Suite struct ReportRenderTests {
    @Test func textReport() {
        let text = ReportRender.text(sampleReport())
        #expect(text.hasPrefix("drd compliance report\n"))
        #expect(text.contains("window     2026-11-02T00:00:00Z to 2026-11-03T23:30:00Z (1d23h30m)"))
        #expect(text.contains("overall    BREACHED (exit 3)"))
        #expect(text.contains("policy orders: BREACHED"))
        #expect(text.contains("policy billing <eu>: COMPLIANT"))
        #expect(text.contains("breaches    1, longest 3h10m (2026-11-03T03:00:00Z to 2026-11-03T06:10:00Z)"))
        #expect(text.contains("- AT RISK: the latest drill (2026-11-03T12:15:00Z) failed: row count mismatch"))
        #expect(!text.contains("hunter2"))   // run errors are redacted
    }

    @Test func jsonReportIsStableAndRoundTrips() throws {
        let report = sampleReport()
        let json = try ReportRender.json(report)
        #expect(json.contains("\"kind\" : \"drd.compliance-report\""))
        #expect(json.contains("\"formatVersion\" : 1"))
        #expect(json.contains("\"verdict\" : \"at-risk\"") || json.contains("\"verdict\" : \"breached\""))
        let object = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any]
        #expect(object?["from"] as? String == "2026-11-02T00:00:00.000Z")
        let decoded: ComplianceReport = try RecordCoding.decode(Data(json.utf8), source: "report.json")
        #expect(decoded == report)
        #expect(try ReportRender.json(decoded) == json)
    }

    @Test func markdownReport() {
        let md = ReportRender.markdown(sampleReport())
        #expect(md.contains("| Policy | Verdict | RPO |"))
        #expect(md.contains("| orders | BREACHED | 2h | 30m | 5h10m | 93.33% | 3h10m | 4h |"))
        #expect(md.contains("## Policy `orders`: BREACHED"))
        #expect(md.contains("| 2026-11-03T03:00:00Z | 2026-11-03T06:10:00Z | 3h10m |"))
        #expect(md.contains("FAILED: row count mismatch on public.orders"))
        #expect(md.contains("## Definitions"))
    }

    @Test func htmlIsOneSelfContainedPage() throws {
        let html = ReportHTML.render(sampleReport())
        #expect(html.hasPrefix("<!DOCTYPE html>"))
        #expect(html.contains("<style>"))
        #expect(!html.contains("<script"))
        #expect(!html.contains("<link"))
        #expect(!html.contains("src="))
        // The only URL is the SVG namespace; nothing is fetched.
        let urls = html.components(separatedBy: "http").count - 1
        let namespaces = html.components(separatedBy: "http://www.w3.org/2000/svg").count - 1
        #expect(urls == namespaces)
        #expect(html.components(separatedBy: "<svg").count - 1 == 4)        // 2 charts × 2 policies
        #expect(html.contains("billing &lt;eu&gt;"))                      // escaped
        #expect(!html.contains("billing <eu>"))
        #expect(html.contains("class=\"breach\""))
        #expect(html.contains("RPO 2h</text>"))
        #expect(html.contains("class=\"fail\""))
        #expect(html.contains("<dt>Data age</dt>"))
        // Well-formed enough for an XML parser (the page is XHTML-compatible apart from the doctype).
        let body = html.replacingOccurrences(of: "<!DOCTYPE html>\n", with: "")
            .replacingOccurrences(of: "<meta charset=\"utf-8\">", with: "<meta charset=\"utf-8\"/>")
            .replacingOccurrences(of: "initial-scale=1\">", with: "initial-scale=1\"/>")
        let parser = XMLParser(data: Data(body.utf8))
        #expect(parser.parse(), "\(parser.parserError.map { "\($0)" } ?? "") line \(parser.lineNumber)")

        if let dir = ProcessInfo.processInfo.environment["DRD_REPORT_SAMPLE_DIR"] {
            try html.write(toFile: dir + "/compliance-sample.html", atomically: true, encoding: .utf8)
        }
    }

    @Test func formatsAndExitStatus() throws {
        let report = sampleReport()
        for format in ReportFormat.allCases { #expect(try !format.render(report).isEmpty) }
        #expect(report.exitStatus == 3)
        let ok = ComplianceReport(histories: [], from: at(0), to: at(1))
        #expect(ok.exitStatus == 0)
        #expect(ReportRender.text(ok).contains("no policies"))
    }
}
