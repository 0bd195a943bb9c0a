import Testing

@Test func placeholder_ComplianceTests() {}
