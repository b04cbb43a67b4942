<StatusRecord>
  <DateTime>20240601101500</DateTime>
  <Event>SEND</Event>
  <Status>ERROR</Status>
  <StatusCode>EPL-151</StatusCode>
  <Description>No mailbox matched</Description>
</StatusRecord>
