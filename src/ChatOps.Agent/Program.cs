using ChatOps.Agent;

return await AgentProgram.MainAsync(args, Environment.GetEnvironmentVariable, Console.Out, Console.Error);
