Console.WriteLine("DriverKit samples: the scenario runner arrives with the samples issue.");
