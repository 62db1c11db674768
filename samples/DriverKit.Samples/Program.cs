using DriverKit.Samples;
using DriverKit.Samples.Output;

return SamplesCommand.Run(args, Console.Out, Console.Error, ConsoleStyle.Detect());
