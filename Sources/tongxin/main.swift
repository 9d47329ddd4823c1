import TongxinCLI

await Tongxin.runFromCommandLine()
