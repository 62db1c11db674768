// DriverKit.Analyzers links the runtime's VmFlags, PageFlags and era policy into itself; its types are reached through
// this alias so that they never clash with DriverKit.Runtime's in the tests.
extern alias DriverKitAnalyzers;

global using DriverKitAnalyzers::DriverKit.Analyzers;
