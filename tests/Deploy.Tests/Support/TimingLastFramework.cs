using System.Reflection;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace DeployBuild.Tests.Support;

/// <summary>
/// xunit's own framework, with one change to the order: the <see cref="TimingSensitive"/> classes still
/// run after every other class is done, but beside one another rather than one at a time. They wait
/// on timers, sockets and sleeping processes and compute almost nothing, so on the quiet machine left
/// after the beds they do not disturb one another; one at a time they were a minute of idle CPU at
/// the end of every run.
/// </summary>
public sealed class TimingLastFramework(IMessageSink messageSink) : XunitTestFramework(messageSink)
{
    protected override ITestFrameworkExecutor CreateExecutor(AssemblyName assemblyName) =>
        new Executor(assemblyName, SourceInformationProvider, DiagnosticMessageSink);

    private sealed class Executor(AssemblyName assemblyName, ISourceInformationProvider sourceInformationProvider, IMessageSink diagnosticMessageSink)
        : XunitTestFrameworkExecutor(assemblyName, sourceInformationProvider, diagnosticMessageSink)
    {
        protected override async void RunTestCases(IEnumerable<IXunitTestCase> testCases, IMessageSink executionMessageSink, ITestFrameworkExecutionOptions executionOptions)
        {
            using var runner = new Runner(TestAssembly, testCases, DiagnosticMessageSink, executionMessageSink, executionOptions);
            await runner.RunAsync();
        }
    }

    private sealed class Runner(ITestAssembly testAssembly, IEnumerable<IXunitTestCase> testCases, IMessageSink diagnosticMessageSink,
        IMessageSink executionMessageSink, ITestFrameworkExecutionOptions executionOptions)
        : XunitTestAssemblyRunner(testAssembly, testCases, diagnosticMessageSink, executionMessageSink, executionOptions)
    {
        protected override async Task<RunSummary> RunTestCollectionsAsync(IMessageBus messageBus, CancellationTokenSource cancellationTokenSource)
        {
            var all = TestCases.ToList();
            var timing = all.Where(t => t.TestMethod.TestClass.TestCollection.DisplayName == TimingSensitive.Name).ToList();
            TestCases = all.Except(timing).ToList();
            var summary = await base.RunTestCollectionsAsync(messageBus, cancellationTokenSource);
            if (timing.Count > 0 && !cancellationTokenSource.IsCancellationRequested)
            {
                // Every other class is done: the timing-sensitive collection now, its classes side by side.
                var collection = timing[0].TestMethod.TestClass.TestCollection;
                summary.Aggregate(await new SideBySide(collection, timing, DiagnosticMessageSink, messageBus, TestCaseOrderer,
                    new ExceptionAggregator(Aggregator), cancellationTokenSource).RunAsync());
            }

            return summary;
        }
    }

    /// <summary>
    /// One run of the collection (one start and one end message, as xunit's reporters expect), whose
    /// classes run at once (as many tests at once as xunit allows: MaxParallelThreads), the longest first.
    /// </summary>
    private sealed class SideBySide(ITestCollection testCollection, IEnumerable<IXunitTestCase> testCases, IMessageSink diagnosticMessageSink,
        IMessageBus messageBus, ITestCaseOrderer testCaseOrderer, ExceptionAggregator aggregator, CancellationTokenSource cancellationTokenSource)
        : XunitTestCollectionRunner(testCollection, testCases, diagnosticMessageSink, messageBus, testCaseOrderer, aggregator, cancellationTokenSource)
    {
        protected override async Task<RunSummary> RunTestClassesAsync()
        {
            var classes = TestCases
                .GroupBy(t => t.TestMethod.TestClass, TestClassComparer.Instance)
                .OrderBy(g => LongestFirst.Rank(g.Key.Class.Name))
                .Select(g => Task.Run(() => RunTestClassAsync(g.Key, (IReflectionTypeInfo)g.Key.Class, g)))
                .ToList();
            var summary = new RunSummary();
            foreach (var part in await Task.WhenAll(classes))
            {
                summary.Aggregate(part);
            }

            return summary;
        }
    }
}
