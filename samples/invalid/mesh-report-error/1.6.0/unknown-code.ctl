<StatusRecord>
  <DateTime>20240601101500</DateTime>
  <Event>SEND</Event>
  <Status>ERROR</Status>
  <StatusCode>99</StatusCode>
  <Description>Something went wrong</Description>
</StatusRecord>
