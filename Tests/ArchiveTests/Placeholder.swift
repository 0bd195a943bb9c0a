import Testing

@Test func placeholder_ArchiveTests() {}
