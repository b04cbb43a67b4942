<StatusRecord>
  <DateTime>20240601101500</DateTime>
  <Event>SEND</Event>
  <Status>FAILED</Status>
  <Description>Message not sent</Description>
</StatusRecord>
